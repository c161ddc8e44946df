// Ad-hoc apps: `corral run` next to a running daemon adds its command as a service (the protocol's
// `add`), `corral delete` removes one, a reload keeps them, and `corral save` writes them into a service
// file that `corral up` brings back. Real daemons, the CLI run as the built binary from the daemon's
// directory.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "supervisor/config/load_config.hpp"
#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A daemon started in the background by the test (corral run -d): stopped, with whatever it left, at the end.
struct BackgroundDaemon {
    pid_t pid = 0;
    fs::path state_dir;
    ~BackgroundDaemon() {
        if (pid > 0 && process_alive(pid)) {
            ::kill(pid, SIGTERM);
            if (!wait_until([&] { return !process_alive(pid); }, 10s)) ::kill(pid, SIGKILL);
        }
        kill_all_descendants();
        remove_daemon_cgroups(state_dir);
    }
};

// Runs `corral args...` in `dir` to its end, as run_corral does, but leaves the daemons alone (run_corral
// cleans up after a daemon it started: every descendant of the test).
CommandResult cli(const fs::path& dir, const std::vector<std::string>& args) {
    const std::string binary = corral_binary().string();
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::chdir(dir.c_str()) != 0) ::_exit(126);
        const int out = ::open("cli.stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open("cli.stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(out, 1);
        ::dup2(err, 2);
        std::vector<char*> argv{const_cast<char*>(binary.c_str())};
        for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        ::execv(binary.c_str(), argv.data());
        ::_exit(127);
    }
    CommandResult result;
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 30s)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return result;
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(dir / "cli.stdout");
    result.err = read_file(dir / "cli.stderr");
    return result;
}

// The names of the instances in a status reply, and whether each runs.
std::map<std::string, std::string> states(SocketClient& client) {
    std::map<std::string, std::string> found;
    const json status = client.request("status");  // kept: the loop reads into it
    if (!status.contains("result")) return found;
    for (const auto& instance : status["result"]["instances"]) {
        found[instance["service"].get<std::string>() + "#" + std::to_string(instance["index"].get<int>())] =
            instance["state"].get<std::string>();
    }
    return found;
}

bool all_running(SocketClient& client, std::size_t count) {
    const auto now = states(client);
    return now.size() == count &&
           std::all_of(now.begin(), now.end(), [](const auto& item) { return item.second == "running"; });
}

// The reply of a request that waits: the lines before it are its progress events.
json waited_reply(SocketClient& client, const std::string& cmd, const json& args) {
    const json request = {{"v", 1}, {"id", 9}, {"cmd", cmd}, {"args", args}};
    if (!client.send(request.dump() + "\n")) return nullptr;
    while (const auto line = client.read_line()) {
        json reply = json::parse(*line, nullptr, false);
        if (reply.contains("ok")) return reply;
    }
    return nullptr;
}

std::vector<std::string> idle_command() { return {"node", fixture("idle.js").string()}; }

std::vector<std::string> run_args(std::vector<std::string> options) {
    options.insert(options.begin(), "run");
    options.push_back("--");
    for (auto& arg : idle_command()) options.push_back(arg);
    return options;
}

}  // namespace

TEST_CASE("corral run -d twice in one state directory - one daemon, two services, then delete and save") {
    TempDir dir;
    BackgroundDaemon daemon{0, dir / ".corral"};
    const auto first = cli(dir.path(), run_args({"-d", "--name", "one"}));
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    SocketClient client(dir / ".corral/corral.sock");
    REQUIRE(client.connected());
    daemon.pid = client.request("status")["result"]["daemon"]["pid"];

    const auto second = cli(dir.path(), run_args({"-d", "--name", "two", "--instances", "2"}));
    CHECK_MESSAGE(second.exit_code == 0, second.err);
    CHECK(contains(second.out, "added service two (2 instances) to the daemon of ./.corral\n"));
    CHECK(contains(second.out, "two#1: running (pid "));
    CHECK(wait_until([&] { return all_running(client, 3); }, 10s));
    CHECK(client.request("status")["result"]["daemon"]["pid"] == daemon.pid);  // the same daemon

    const json two = instance_of(client, "two#0");
    const pid_t two_pid = two["pid"];
    const auto deleted = cli(dir.path(), {"delete", "two"});
    CHECK_MESSAGE(deleted.exit_code == 0, deleted.err);
    CHECK(contains(deleted.out, "deleted service two\n"));
    CHECK_FALSE(process_alive(two_pid));
    CHECK(states(client) == std::map<std::string, std::string>{{"one#0", "running"}});
    const auto again = cli(dir.path(), {"delete", "two"});
    CHECK(again.exit_code == 1);
    CHECK(contains(again.err, "no service \"two\""));

    // A daemon of `corral run` has no file: save writes ./corral.toml, which up accepts.
    const auto saved = cli(dir.path(), {"save"});
    CHECK_MESSAGE(saved.exit_code == 0, saved.err);
    CHECK(contains(saved.out, "saved 1 service (one) to ./corral.toml"));
    const auto loaded = corral::config::load_config_file(dir / "corral.toml");
    REQUIRE(loaded.config);
    CHECK(loaded.config->services.at(0).command == idle_command());
    const auto refused = cli(dir.path(), {"save"});
    CHECK(refused.exit_code == 1);
    CHECK(contains(refused.err, "./corral.toml exists and is not the daemon's service file; give --force"));

    CHECK(client.request("shutdown")["ok"] == true);
    REQUIRE(wait_until([&] { return !process_alive(daemon.pid); }, 20s));
    CorralProcess up(dir.path(), {"up"});
    SocketClient back(dir / ".corral/corral.sock", 10s);
    REQUIRE(back.connected());
    CHECK(wait_until([&] { return all_running(back, 1) && states(back).contains("one#0"); }, 10s));
    CHECK(up.stop() == 0);
}

TEST_CASE("ad-hoc services survive a reload, stay apart from the file's, and save merges them into it") {
    TempDir dir;
    const std::string original = subst(
        "# the web tier, kept by corral save\n[services.web]\ncommand = [\"node\", \"${idle}\"]  # idle\n",
        {{"idle", fixture("idle.js")}});
    dir.write("corral.toml", original);
    auto up = std::make_unique<CorralProcess>(dir.path(), std::vector<std::string>{"up"});
    SocketClient client(dir / ".corral/corral.sock", 10s);
    REQUIRE(client.connected());
    REQUIRE(wait_until([&] { return all_running(client, 1); }, 10s));

    // Without -d too: the daemon is there, so the command is added to it and `run` returns.
    const auto added = cli(dir.path(), run_args({"--name", "extra"}));
    CHECK_MESSAGE(added.exit_code == 0, added.err);
    CHECK(contains(added.out, "added service extra (1 instance) to the daemon of ./corral.toml\n"));
    REQUIRE(wait_until([&] { return all_running(client, 2); }, 10s));
    const json extra = instance_of(client, "extra#0");

    const auto reloaded = cli(dir.path(), {"reload"});
    CHECK_MESSAGE(reloaded.exit_code == 0, reloaded.err);
    CHECK(instance_of(client, "extra#0")["pid"] == extra["pid"]);  // kept, not restarted

    const auto refused = cli(dir.path(), {"delete", "web"});
    CHECK(refused.exit_code == 1);
    CHECK(contains(refused.err, "remove it from that file and run corral reload"));
    const auto duplicate = cli(dir.path(), run_args({"--name", "web"}));
    CHECK(duplicate.exit_code == 1);
    CHECK(contains(duplicate.err, "a service named \"web\" already runs (defined in "));

    const auto saved = cli(dir.path(), {"save"});
    CHECK_MESSAGE(saved.exit_code == 0, saved.err);
    const std::string text = read_file(dir / "corral.toml");
    CHECK(text.rfind(original, 0) == 0);  // the file's own text, comments included, untouched
    CHECK(contains(text, "[services.extra]"));
    // The file now defines extra: a reload takes it as the file's, identical, so nothing restarts.
    CHECK(cli(dir.path(), {"reload"}).exit_code == 0);
    CHECK(instance_of(client, "extra#0")["pid"] == extra["pid"]);
    CHECK(all_running(client, 2));
    const auto nothing = cli(dir.path(), {"save"});
    CHECK(contains(nothing.out, "nothing to save"));

    client.close();
    CHECK(up->stop() == 0);
    up.reset();
    CorralProcess again(dir.path(), {"up"});
    SocketClient back(dir / ".corral/corral.sock", 10s);
    REQUIRE(back.connected());
    CHECK(wait_until([&] { return all_running(back, 2) && states(back).contains("extra#0"); }, 10s));
    CHECK(again.stop() == 0);
}

TEST_CASE("add and delete over the raw socket - located errors for bad services, nothing started") {
    TempDir dir;
    CorralProcess corral(dir.path(), run_args({"--name", "app"}));
    SocketClient client(dir / ".corral/corral.sock", 10s);
    REQUIRE(client.connected());
    const auto error_of = [&](const json& args) {
        const json reply = client.request("add", args);
        CHECK(reply["ok"] == false);
        return reply["error"]["code"].get<std::string>() + ": " + reply["error"]["message"].get<std::string>();
    };
    const std::string cwd = dir.path().string();
    CHECK(contains(error_of({{"name", "a/b"}, {"command", idle_command()}, {"cwd", cwd}}),
                   "bad_args: \"name\" must be a service name"));
    CHECK(error_of({{"name", "app"}, {"command", idle_command()}, {"cwd", cwd}}) ==
          "bad_args: a service named \"app\" already runs (added earlier); delete it first or choose another name");
    CHECK(contains(error_of({{"name", "b"}, {"command", json::array()}, {"cwd", cwd}}),
                   "bad_args: \"command\" must be a non-empty array"));
    CHECK(error_of({{"name", "b"}, {"command", idle_command()}, {"cwd", cwd}, {"instances", 0}}) ==
          "bad_args: \"instances\" must be an integer from 1 to 1024 (got integer 0)");
    CHECK(error_of({{"name", "b"}, {"command", idle_command()}, {"cwd", cwd + "/nope"}}) ==
          "bad_args: invalid directory for services.b.cwd: " + cwd + "/nope does not exist (expected an existing "
          "directory, got \"" + cwd + "/nope\")");
    CHECK(contains(error_of({{"name", "b"}, {"command", idle_command()}}), "missing argument \"cwd\" for \"add\""));
    CHECK(client.request("delete", {{"name", "b"}})["error"]["code"] == "not_found");
    CHECK(states(client).size() == 1);

    const json added = waited_reply(client, "add", {{"name", "b"}, {"command", idle_command()}, {"cwd", cwd}, {"wait", true}});
    CHECK(added["ok"] == true);
    CHECK(added["result"]["outcomes"][0]["state"] == "running");
    const json listed = client.request("services")["result"];
    CHECK(listed["file"] == "");
    REQUIRE(listed["services"].size() == 2);
    CHECK(listed["services"][1]["name"] == "b");
    CHECK(listed["services"][1]["adhoc"] == true);
    const json gone = waited_reply(client, "delete", {{"name", "b"}, {"wait", true}});
    CHECK(gone["ok"] == true);
    CHECK(gone["result"]["outcomes"][0]["state"] == "stopped");
    CHECK(states(client).size() == 1);
    CHECK(corral.stop() == 0);
}
