// Every daemon in one view: the registry in the runtime directory, `corral ls`, -C and --all, and the
// client commands finding their daemon while its service file is broken. Real daemons; the CLI runs
// from a directory unrelated to theirs unless the test is about the file's own directory. Each test has
// a runtime directory of its own (CORRAL_RUNTIME_DIR), so it sees only its own daemons.
#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + part.size())) ++count;
    return count;
}

// A runtime directory for this test alone; the one before is restored afterwards.
class RuntimeDir {
public:
    RuntimeDir() {
        const char* before = std::getenv("CORRAL_RUNTIME_DIR");
        if (before != nullptr) before_ = before;
        ::setenv("CORRAL_RUNTIME_DIR", dir_.path().c_str(), 1);
    }
    ~RuntimeDir() {
        if (before_) {
            ::setenv("CORRAL_RUNTIME_DIR", before_->c_str(), 1);
        } else {
            ::unsetenv("CORRAL_RUNTIME_DIR");
        }
    }
    std::size_t entries() const {
        std::size_t count = 0;
        for (const auto& item : fs::directory_iterator(dir_.path())) count += item.path().extension() == ".json";
        return count;
    }

private:
    TempDir dir_;
    std::optional<std::string> before_;
};

std::string service_file(unsigned instances, const std::string& supervisor = "") {
    return subst(supervisor + R"TOML(
[services.web]
command = ["node", "${idle}"]
instances = ${instances}
)TOML", {{"idle", fixture("idle.js").string()}, {"instances", std::to_string(instances)}});
}

// A `corral up FILE` daemon of app/corral.toml, started from a directory of its own so that its output
// does not land where the CLI runs.
struct UpDaemon {
    TempDir app;
    TempDir home;
    std::unique_ptr<CorralProcess> corral;

    explicit UpDaemon(unsigned instances, const std::string& supervisor = "", const std::string& state = ".corral") {
        app.write("corral.toml", service_file(instances, supervisor));
        corral = std::make_unique<CorralProcess>(
            home.path(), std::vector<std::string>{"up", (app / "corral.toml").string()}, app / state);
    }
    fs::path file() const { return fs::weakly_canonical(app / "corral.toml"); }
};

// Waits until `corral ls` (run in `cwd`) shows `running` instances running.
bool wait_for_running(const fs::path& cwd, std::size_t running) {
    return wait_until([&] { return count_of(run_corral(cwd, {"ls"}).out, " running ") >= running; }, 30s);
}

}  // namespace

TEST_CASE("corral ls lists an up daemon and a run daemon with their instances from an unrelated directory") {
    RuntimeDir runtime;
    UpDaemon up(2);
    TempDir adhoc;
    TempDir elsewhere;
    CorralProcess run(adhoc.path(), {"run", "--name", "adhoc", "--", "node", fixture("idle.js").string()});
    REQUIRE(wait_for_running(elsewhere.path(), 3));
    CHECK(runtime.entries() == 2);

    const auto listed = run_corral(elsewhere.path(), {"ls"});
    CHECK(listed.exit_code == 0);
    CHECK(contains(listed.out, up.file().string() + "  pid " + std::to_string(up.corral->pid()) + ", up "));
    CHECK(contains(listed.out, "(run)  pid " + std::to_string(run.pid()) + ", up "));
    CHECK(contains(listed.out, "state dir " + (adhoc / ".corral").string()));
    CHECK(contains(listed.out, "socket " + (up.app / ".corral/corral.sock").string()));
    CHECK(contains(listed.out, "web#0"));
    CHECK(contains(listed.out, "web#1"));
    CHECK(contains(listed.out, "adhoc#0"));

    const auto json = run_corral(elsewhere.path(), {"ls", "--json"});
    CHECK(json.exit_code == 0);
    const Json daemons = Json::parse(json.out);
    REQUIRE(daemons.size() == 2);
    const bool up_first = daemons[0]["pid"] == up.corral->pid();
    const Json& of_up = daemons[up_first ? 0 : 1];
    const Json& of_run = daemons[up_first ? 1 : 0];
    CHECK(of_up["service_file"] == up.file().string());
    CHECK(of_up["status"]["instances"].size() == 2);
    CHECK(of_run["pid"] == run.pid());
    CHECK(of_run["service_file"].is_null());
    CHECK(of_run["status"]["instances"][0]["service"] == "adhoc");
}

TEST_CASE("a SIGKILLed daemon's entry is pruned, and a daemon's entry is gone after shutdown") {
    RuntimeDir runtime;
    TempDir elsewhere;
    CHECK(run_corral(elsewhere.path(), {"ls"}).out == "no corral daemon is running\n");
    UpDaemon up(1);
    TempDir adhoc;
    CorralProcess run(adhoc.path(), {"run", "--", "node", fixture("idle.js").string()});
    REQUIRE(wait_for_running(elsewhere.path(), 2));
    REQUIRE(runtime.entries() == 2);

    run.signal(SIGKILL);
    REQUIRE(run.wait(10s));
    const auto after_kill = run_corral(elsewhere.path(), {"ls"});
    CHECK(after_kill.exit_code == 0);
    CHECK_FALSE(contains(after_kill.out, "(run)"));
    CHECK(contains(after_kill.out, up.file().string()));
    CHECK(runtime.entries() == 1);  // pruned by that ls

    const auto shutdown = run_corral(elsewhere.path(), {"shutdown", "-C", up.app.path().string()});
    CHECK(shutdown.exit_code == 0);
    REQUIRE(up.corral->wait(20s));
    CHECK(runtime.entries() == 0);
    const auto none = run_corral(elsewhere.path(), {"ls"});
    CHECK(none.exit_code == 0);
    CHECK(none.out == "no corral daemon is running\n");
    CHECK(run_corral(elsewhere.path(), {"ls", "--json"}).out == "[]\n");
}

TEST_CASE("-C runs a command as if in that directory and --all runs it against every daemon") {
    RuntimeDir runtime;
    UpDaemon a(1);
    UpDaemon b(2);
    TempDir elsewhere;
    REQUIRE(wait_for_running(elsewhere.path(), 3));

    const auto only_b = run_corral(elsewhere.path(), {"status", "-C", b.app.path().string()});
    CHECK(only_b.exit_code == 0);
    CHECK(contains(only_b.out, "web#1"));
    CHECK(contains(only_b.out, "config " + (b.app / "corral.toml").string()));
    CHECK(run_corral(elsewhere.path(), {"status"}).exit_code == 3);  // no daemon here
    CHECK(run_corral(elsewhere.path(), {"status", "-C", (elsewhere / "missing").string()}).exit_code == 2);

    const auto stopped = run_corral(elsewhere.path(), {"stop", "web", "--all"});
    CHECK(stopped.exit_code == 0);
    CHECK(contains(stopped.out, "== " + a.file().string() + " (pid " + std::to_string(a.corral->pid()) + ") =="));
    CHECK(contains(stopped.out, "== " + b.file().string() + " (pid " + std::to_string(b.corral->pid()) + ") =="));
    CHECK(count_of(stopped.out, "stopped") >= 3);
    const auto status = run_corral(elsewhere.path(), {"status", "--all", "--json"});
    CHECK(status.exit_code == 0);
    CHECK(count_of(status.out, "\"daemon\":{") == 2);
    CHECK(count_of(status.out, "\"state\": \"stopped\"") == 3);

    CHECK(run_corral(elsewhere.path(), {"start", "all", "--all"}).exit_code == 0);
    CHECK(count_of(run_corral(elsewhere.path(), {"ls"}).out, " running ") == 3);
    const auto logs = run_corral(elsewhere.path(), {"logs", "--all", "-n", "1"});
    CHECK(logs.exit_code == 0);
    CHECK(count_of(logs.out, "== ") == 2);
    CHECK(run_corral(elsewhere.path(), {"logs", "--all", "-f"}).exit_code == 2);

    const auto down = run_corral(elsewhere.path(), {"shutdown", "--all"});
    CHECK(down.exit_code == 0);
    CHECK(count_of(down.out, "corral stopped") == 2);
    REQUIRE(a.corral->wait(20s));
    REQUIRE(b.corral->wait(20s));
    const auto none = run_corral(elsewhere.path(), {"status", "--all"});
    CHECK(none.exit_code == 3);
    CHECK(none.err == "corral: no corral daemon is running\n");
}

// The required case of the issue: a file edited into a broken state does not lock the CLI out of its
// daemon. Run from the file's directory, with nothing but the file to go by.
void check_broken_file(const std::string& broken, const std::string& located) {
    RuntimeDir runtime;
    // A state directory the broken file would not give: only the registry knows it.
    UpDaemon up(1, "[supervisor]\nstate_dir = \"state\"\n", "state");
    const fs::path& here = up.app.path();
    REQUIRE(wait_for_running(here, 1));
    up.app.write("corral.toml", broken);

    const auto status = run_corral(here, {"status"});
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "web#0"));
    TempDir elsewhere;
    CHECK(run_corral(elsewhere.path(), {"status", "-c", (here / "corral.toml").string()}).exit_code == 0);

    const auto reload = run_corral(here, {"reload"});
    CHECK(reload.exit_code == 1);
    CHECK(contains(reload.err, (here / "corral.toml").string() + located));
    CHECK(contains(reload.err, "corral reload: 1 error(s) in " + (here / "corral.toml").string() +
                                   "; nothing was changed"));
    const auto json = run_corral(here, {"reload", "--json"});
    CHECK(json.exit_code == 1);
    const Json error = Json::parse(json.out);
    CHECK(error["error"]["code"] == "invalid_config");
    REQUIRE(error["error"]["details"].size() == 1);
    CHECK(contains(error["error"]["details"][0].get<std::string>(), located));

    const auto shutdown = run_corral(here, {"shutdown"});
    CHECK(shutdown.exit_code == 0);
    CHECK(shutdown.out == "corral stopped\n");
    const auto exited = up.corral->wait(20s);
    REQUIRE(exited);
    CHECK(WIFEXITED(*exited));
    CHECK(WEXITSTATUS(*exited) == 0);
    CHECK(runtime.entries() == 0);
}

TEST_CASE("a service file with a syntax error still finds its daemon: status, reload errors, shutdown") {
    check_broken_file("[supervisor\nstate_dir = \"state\"\n", ":1:");
}

TEST_CASE("a service file with a semantic error still finds its daemon: status, reload errors, shutdown") {
    check_broken_file(service_file(0, "[supervisor]\nstate_dir = \"state\"\n"), ":6:13: ");
}

TEST_CASE("reload of a daemon started by corral run says there is no file to reload") {
    RuntimeDir runtime;
    TempDir adhoc;
    TempDir home;
    TempDir elsewhere;  // the CLI runs here, -C adhoc: run_corral cleans up the cgroups of its own directory
    CorralProcess run(home.path(), {"run", "--state-dir", (adhoc / ".corral").string(), "--", "node",
                                    fixture("idle.js").string()},
                      adhoc / ".corral");
    REQUIRE(wait_for_running(elsewhere.path(), 1));
    const auto reload = run_corral(elsewhere.path(), {"reload", "-C", adhoc.path().string()});
    CHECK(reload.exit_code == 1);
    CHECK(reload.err ==
          "corral reload: nothing to reload: this daemon was started by `corral run`, without a service file "
          "(`corral reload SERVICE` rolls a service as it is)\n");
    const auto json = run_corral(elsewhere.path(), {"reload", "--json", "-C", adhoc.path().string()});
    CHECK(json.exit_code == 1);
    CHECK(Json::parse(json.out)["error"]["code"] == "failed");
}
