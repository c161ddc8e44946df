// The Node agent's runtime reports as `status --json` and `describe` show them, the services that have
// none (node_agent = false, ipc = "off"), and apps that exit by themselves with the agent in them.
#include <doctest/doctest.h>

#include "tests/integration/runtime_daemon.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;

namespace {

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// /proc/PID/environ as "NAME=value" strings.
std::vector<std::string> environment_of(pid_t pid) {
    const std::string block = read_file("/proc/" + std::to_string(pid) + "/environ");
    std::vector<std::string> vars;
    for (std::size_t at = 0; at < block.size();) {
        const std::size_t end = block.find('\0', at);
        vars.push_back(block.substr(at, end == std::string::npos ? std::string::npos : end - at));
        at = end == std::string::npos ? block.size() : end + 1;
    }
    return vars;
}

std::string variable(const std::vector<std::string>& vars, const std::string& name) {
    for (const auto& var : vars) {
        if (var.rfind(name + "=", 0) == 0) return var.substr(name.size() + 1);
    }
    return "";
}

}  // namespace

TEST_CASE("runtime: status --json shows heap, handles and an event-loop delay the app caused - describe words them") {
    RuntimeDaemon daemon(subst(R"TOML(
[supervisor]
sample_interval = "1s"

[services.blocker]
command = ["node", "${app}"]
env = { BLOCK_MS = "300", BLOCK_EVERY_MS = "600", RECORD_FILE = "out" }
)TOML", {{"app", fixture("runtime_app.js")}}));
    // Every report covers one second, in which the app blocked its loop for 300 ms at least once.
    REQUIRE(wait_until([&] {
        const json runtime = daemon.state("blocker#0").value("runtime", json());
        return runtime.is_object() && runtime["loop_max_ms"].get<double>() >= 250;
    }, 30s));
    const json status = json::parse(daemon.cli({"status", "--json"}).out);
    REQUIRE(status["instances"].size() == 1);
    const json runtime = status["instances"][0]["runtime"];
    CAPTURE(runtime.dump());
    for (const char* key : {"heap_used", "heap_total", "external", "array_buffers", "loop_p50_ms", "loop_p99_ms",
                            "loop_max_ms", "handles", "gc_ms", "age_ms"}) {
        CAPTURE(key);
        REQUIRE(runtime.contains(key));
        CHECK(runtime[key].is_number());
        CHECK(runtime[key].get<double>() >= 0);
    }
    CHECK(runtime.size() == 10);
    CHECK(runtime["heap_used"].get<double>() > 0);
    CHECK(runtime["heap_total"].get<double>() >= runtime["heap_used"].get<double>());
    CHECK(runtime["handles"].get<double>() >= 1);  // its intervals
    CHECK(runtime["loop_max_ms"].get<double>() >= runtime["loop_p99_ms"].get<double>());
    CHECK(runtime["loop_p99_ms"].get<double>() >= runtime["loop_p50_ms"].get<double>());
    CHECK(runtime["age_ms"].is_number_integer());

    const auto described = daemon.cli({"describe", "blocker"});
    CHECK(described.exit_code == 0);
    CAPTURE(described.out);
    CHECK(has(described.out, "\n           node  heap "));  // under "blocker#0  cgroup ..."
    CHECK(has(described.out, " active handle"));
    CHECK(has(described.out, "event-loop delay p50 "));
    CHECK(has(described.out, " in all; reported "));
    const json described_json = json::parse(daemon.cli({"describe", "blocker#0", "--json"}).out);
    CHECK(described_json["instances"][0]["runtime"]["heap_used"].get<double>() > 0);
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("runtime: node_agent = false and ipc = off give no figures - no agent in NODE_OPTIONS") {
    RuntimeDaemon daemon(subst(R"TOML(
[supervisor]
sample_interval = "100ms"

[services.reporting]
command = ["node", "${app}"]
env = { RECORD_FILE = "reporting" }

[services.quiet]
command = ["node", "${app}"]
node_agent = false
env = { RECORD_FILE = "quiet" }

[services.channelless]
command = ["node", "${app}"]
ipc = "off"
env = { RECORD_FILE = "channelless" }
)TOML", {{"app", fixture("runtime_app.js")}}));
    // The one that reports has sent 10 reports; the two others, up as long, none.
    REQUIRE(wait_until([&] { return daemon.counted("reporting", "reports_sent") >= 10; }, 30s));
    REQUIRE(wait_until([&] {
        return daemon.counted("quiet", "reports_sent") == 0 && daemon.counted("channelless", "reports_sent") == 0;
    }, 30s));
    CHECK(daemon.state("reporting#0").contains("runtime"));
    for (const std::string name : {"quiet#0", "channelless#0"}) {
        CAPTURE(name);
        const json instance = daemon.state(name);
        CHECK(instance["state"] == "running");
        CHECK_FALSE(instance.contains("runtime"));
    }
    const auto environment = [&](const std::string& name) {
        return environment_of(daemon.state(name)["pid"].get<pid_t>());
    };
    const auto reporting = environment("reporting#0");
    CHECK(has(variable(reporting, "NODE_OPTIONS"), "--require"));
    CHECK(variable(reporting, "CORRAL_REPORT_MS") == "100");
    for (const std::string name : {"quiet#0", "channelless#0"}) {
        CAPTURE(name);
        const auto vars = environment(name);
        CHECK_FALSE(vars.empty());
        CHECK_FALSE(has(variable(vars, "NODE_OPTIONS"), "--require"));
        CHECK(variable(vars, "CORRAL_REPORT_MS").empty());
    }
    CHECK(daemon.counted("quiet", "reports_sent") == 0);
    CHECK(daemon.counted("channelless", "reports_sent") == 0);
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("runtime: the agent never keeps an app alive - with or without its own message listener it exits when done") {
    RuntimeDaemon daemon(subst(R"TOML(
[supervisor]
sample_interval = "100ms"

[services.listening]
command = ["node", "${app}"]
restart = "never"
env = { EXIT_AFTER_MS = "1500", LISTENER = "1", RECORD_FILE = "listening" }

[services.plain]
command = ["node", "${app}"]
restart = "never"
env = { EXIT_AFTER_MS = "1500", RECORD_FILE = "plain" }
)TOML", {{"app", fixture("runtime_app.js")}}));
    for (const std::string name : {"listening", "plain"}) {
        CAPTURE(name);
        REQUIRE(wait_until([&] { return daemon.counted(name, "exit_code") == 0; }, 60s));
        // The agent was in it and reporting until the end.
        CHECK(daemon.counted(name, "reports_sent") >= 3);
        REQUIRE(wait_until([&] { return daemon.state(name + "#0")["pid"].is_null(); }, 30s));
        const json instance = daemon.state(name + "#0");
        CAPTURE(instance.dump());
        CHECK(instance["last_exit"]["code"] == 0);
        CHECK(instance["restarts"] == 0);
        CHECK_FALSE(instance.contains("runtime"));
    }
    CHECK(daemon.corral->stop() == 0);
}
