// corral start/stop/restart/signal as a user runs them against a real daemon: they return when what they
// asked for has happened, print each step, and exit 1 with the reason when it did not happen. The CLI runs
// from a directory of its own with --socket, so that run_corral's cleanup never touches the daemon's.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Daemon {
    TempDir dir;
    TempDir elsewhere;  // where the CLI runs
    std::unique_ptr<CorralProcess> corral;
    fs::path socket;

    explicit Daemon(const std::string& stop_timeout = "20s") {
        dir.write("corral.toml", subst(R"TOML(
[services.held]
command = ["node", "${held}"]
env = { RECORD_FILE = "${record}", RELEASE_FILE = "${release}" }
stop = { timeout = "${stop_timeout}" }

[services.broken]
command = ["${missing}"]
restart = "never"
)TOML", {{"held", fixture("held.js")},
         {"record", dir / "record"},
         {"release", dir / "release"},
         {"missing", dir / "no-such-program"},
         {"stop_timeout", stop_timeout}}));
        corral = std::make_unique<CorralProcess>(dir.path(), std::vector<std::string>{"up"});
        socket = dir / ".corral/corral.sock";
        REQUIRE(wait_until([&] { return count_records(dir / "record", "start") == 1; }, 20s));
        REQUIRE(wait_until([&] { return fs::exists(socket); }, 5s));
        SocketClient client(socket);
        REQUIRE(wait_until([&] { return instance_of(client, "broken#0")["state"] == "exited"; }, 20s));
    }
    CommandResult cli(std::vector<std::string> args) const {
        args.push_back("--socket");
        args.push_back(socket.string());
        return run_corral(elsewhere.path(), args, 60s);
    }
    pid_t last(const std::string& what) const {
        const auto records = records_of(dir / "record", what);
        return records.empty() ? 0 : records.back().pid;
    }
    void release() const { std::ofstream(dir / "release") << "go\n"; }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

bool pid_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

TEST_CASE("corral stop returns once the process is gone, and says each step") {
    Daemon daemon("1s");
    const pid_t pid = daemon.last("start");
    const auto result = daemon.cli({"stop", "held"});
    CHECK_FALSE(pid_exists(pid));  // by the time the command has returned
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    CHECK(lines_of(result.out) == std::vector<std::string>{
                                      "held#0: running -> stopping: stop requested",
                                      "held#0: stopping -> stopped: stopped (killed by SIGKILL)",
                                      "held#0: stopped",
                                  });
    const auto again = daemon.cli({"stop", "held"});
    CHECK(again.exit_code == 0);
    CHECK(again.out == "held#0 is already stopped\n");
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("corral start of a program that cannot start exits 1 with the reason - and --json prints JSON lines") {
    Daemon daemon;
    const auto result = daemon.cli({"start", "all"});
    CHECK(result.exit_code == 1);
    const auto out = lines_of(result.out);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == "broken#0: exited -> starting: start requested");
    CHECK(out[1].rfind("broken#0: starting -> exited: exited with code 127 after ", 0) == 0);
    CHECK(out[2].rfind("held#0 is already running (pid ", 0) == 0);
    CHECK(result.err.rfind("corral start: broken#0: exited with code 127 after ", 0) == 0);
    CHECK(result.err.find("restart = \"never\": not restarting\n") != std::string::npos);

    const auto json_lines = daemon.cli({"start", "broken", "--json"});
    CHECK(json_lines.exit_code == 1);
    const auto printed = lines_of(json_lines.out);
    REQUIRE(printed.size() == 3);
    for (const auto& line : printed) CHECK(json::accept(line));
    CHECK(json::parse(printed[0])["to"] == "starting");
    CHECK(json::parse(printed[2])["error"]["code"] == "wait_failed");
    CHECK(json::parse(printed[2])["error"]["details"]["outcomes"][0]["instance"] == "broken#0");
    daemon.release();
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("corral stop --timeout gives up with exit 1 - and --no-wait returns at once") {
    Daemon daemon;
    const pid_t pid = daemon.last("start");
    SUBCASE("--timeout") {
        const auto result = daemon.cli({"stop", "held", "--timeout", "300ms"});
        CHECK(result.exit_code == 1);
        CHECK(result.out == "held#0: running -> stopping: stop requested\n");
        CHECK(result.err == "corral stop: timed out after 300ms; still waiting for held#0 (stopping)\n");
        CHECK(pid_exists(pid));  // held by the test
    }
    SUBCASE("--no-wait") {
        const auto result = daemon.cli({"stop", "held", "--no-wait"});
        CHECK(result.exit_code == 0);
        CHECK(result.out == "stopping held#0\n");
        CHECK(process_alive(pid));  // the stop is held: the command did not wait for it
        CHECK(count_records(daemon.dir / "record", "term") == 1);
    }
    SUBCASE("usage") {
        CHECK(daemon.cli({"stop", "held", "--timeout", "soon"}).exit_code == 2);
        CHECK(daemon.cli({"stop", "held", "--timeout", "1s", "--no-wait"}).exit_code == 2);
        CHECK(process_alive(pid));
    }
    daemon.release();
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("corral restart then corral signal: the signal goes to the new process") {
    Daemon daemon;
    daemon.release();
    const pid_t old_pid = daemon.last("start");
    const auto restart = daemon.cli({"restart", "held"});
    CHECK(restart.exit_code == 0);
    CHECK_FALSE(pid_exists(old_pid));
    const auto out = lines_of(restart.out);
    REQUIRE(out.size() == 4);
    CHECK(out[0] == "held#0: running -> stopping: restart requested");
    CHECK(out[1] == "held#0: stopping -> starting: stopped, starting again as requested");
    CHECK(out[2] == "held#0: starting -> running: program started");
    CHECK(out[3].rfind("held#0: running (pid ", 0) == 0);
    const pid_t new_pid = std::stoi(out[3].substr(out[3].find("pid ") + 4));
    CHECK(new_pid != old_pid);
    // Node runs the handler's line some time after the exec that `running` means today (see waiting_test).
    REQUIRE(wait_until([&] { return daemon.last("start") == new_pid; }, 10s));
    const auto signal = daemon.cli({"signal", "held", "USR2"});
    CHECK(signal.exit_code == 0);
    CHECK(signal.out == "held#0: sent SIGUSR2 to pid " + std::to_string(new_pid) + "\n");
    CHECK(wait_until([&] { return daemon.last("usr2") == new_pid; }, 10s));

    const auto refused = daemon.cli({"signal", "broken", "USR2"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err == "corral signal: broken#0: not running (exited), not signalled\n");
    const auto skipped = daemon.cli({"signal", "broken", "USR2", "--no-wait"});
    CHECK(skipped.exit_code == 0);
    CHECK(skipped.out == "no instance to send SIGUSR2 to\n");
    CHECK(daemon.corral->stop() == 0);
}
