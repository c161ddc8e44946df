// Stopping: stop signals, timeouts, process groups, escaped grandchildren, zombies, and daemon shutdown.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

pid_t first_pid(const std::filesystem::path& record, const std::string& what) {
    const auto records = records_of(record, what);
    return records.empty() ? 0 : records.front().pid;
}

}  // namespace

TEST_CASE("a service that ignores SIGTERM is SIGKILLed after stop.timeout - and the daemon exits 0") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.stubborn]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}" }
stop = { timeout = "1s" }
)", {{"fixture", fixture("stubborn.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") == 1; }, 10s));
    const pid_t pid = first_pid(dir / "record", "start");
    const auto begin = std::chrono::steady_clock::now();
    CHECK(corral.stop() == 0);
    const auto took = std::chrono::steady_clock::now() - begin;
    CHECK(took >= 1s);
    CHECK(took < 5s);
    CHECK(count_records(dir / "record", "term") == 1);
    CHECK_FALSE(process_alive(pid));
    const auto log = dir / ".corral/corral.log";
    CHECK(lines_containing(log, "stop timeout: the process ignored its stop signal, sending SIGKILL").size() == 1);
    CHECK(lines_containing(log, "stopping -> stopped: stopped (killed by SIGKILL)").size() == 1);
    CHECK(descendants_of(getpid()).empty());
}

TEST_CASE("stop reaches every process of the group - also a grandchild that ignores SIGTERM") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", GRANDCHILD_IGNORES_TERM = "1" }
stop = { timeout = "1s" }
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "grandchild") == 1 &&
                                    count_records(dir / "record", "start") == 1; }, 10s));
    const pid_t parent = first_pid(dir / "record", "start");
    const pid_t grandchild = first_pid(dir / "record", "grandchild");
    CHECK(getpgid(parent) == parent);  // its own process group...
    CHECK(getpgid(grandchild) == parent);  // ...which the grandchild shares
    CHECK(getsid(parent) == parent);
    CHECK(corral.stop() == 0);
    CHECK_FALSE(process_alive(parent));
    CHECK_FALSE(process_alive(grandchild));
    CHECK(descendants_of(getpid()).empty());
}

TEST_CASE("when a service dies by itself - the rest of its process group is killed before the restart") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", EXIT_AFTER_MS = "700" }
backoff = { initial = "200ms" }
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "grandchild") >= 2; }, 15s));
    const auto grandchildren = records_of(dir / "record", "grandchild");
    CHECK_FALSE(process_alive(grandchildren[0].pid));
    // Only the current incarnation's processes exist: the daemon's descendants are one family.
    CHECK(wait_until([&] { return descendants_of(corral.pid()).size() <= 2; }, 2s));
    CHECK(corral.stop() == 0);
}

TEST_CASE("without cgroups a grandchild that left the process group (setsid) is still killed at shutdown") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
cgroups = "off"

[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", GRANDCHILD_SETSID = "1" }
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "grandchild") == 1; }, 10s));
    const pid_t grandchild = first_pid(dir / "record", "grandchild");
    CHECK(getsid(grandchild) == grandchild);
    CHECK(corral.stop() == 0);
    CHECK_FALSE(process_alive(grandchild));
    CHECK(lines_containing(dir / ".corral/corral.log",
                           "process " + std::to_string(grandchild) +
                               " left its service's process group and is still running: killing it")
              .size() == 1);
    CHECK(descendants_of(getpid()).empty());
}

TEST_CASE("SIGTERM to the daemon stops every service and leaves no process behind") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.idle]
command = ["node", "${idle}"]
instances = 3

[services.stubborn]
command = ["node", "${stubborn}"]
env = { RECORD_FILE = "${record}" }
stop = { timeout = "500ms" }

[services.family]
command = ["node", "${family}"]
env = { RECORD_FILE = "${record}" }

[services.waiting]
command = ["node", "${crasher}"]
env = { RECORD_FILE = "${record}" }
backoff = { initial = "1h", max = "1h" }
)", {{"idle", fixture("idle.js")},
     {"stubborn", fixture("stubborn.js")},
     {"family", fixture("family.js")},
     {"crasher", fixture("crasher.js")},
     {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") == 3 &&
                                    count_records(dir / "record", "grandchild") == 1 &&
                                    count_records(dir / "record", "exit") == 1; }, 10s));
    // Six processes of the services, and a standby (the next incarnation, waiting) for each of the six
    // instances (the one in backoff keeps its own).
    auto standbys = [&] {
        std::size_t count = 0;
        for (const pid_t pid : descendants_of(corral.pid())) {
            count += read_file("/proc/" + std::to_string(pid) + "/cmdline").find("--standby-fd") != std::string::npos;
        }
        return count;
    };
    REQUIRE(wait_until([&] { return descendants_of(corral.pid()).size() == 12 && standbys() == 6; }, 5s));
    const auto before = descendants_of(corral.pid());
    CHECK(corral.stop() == 0);
    for (const pid_t pid : before) CHECK_FALSE(process_alive(pid));
    CHECK(descendants_of(getpid()).empty());
    const std::string err = corral.stderr_text();
    CHECK(err.find("SIGTERM: delivering the IPC backlog, then stopping every service") != std::string::npos);
    CHECK(err.find("corral stopped") != std::string::npos);
}

TEST_CASE("SIGINT twice kills at once instead of waiting for the stop timeout") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.stubborn]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}" }
stop = { timeout = "1m" }
)", {{"fixture", fixture("stubborn.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") == 1; }, 10s));
    corral.signal(SIGINT);
    REQUIRE(wait_until([&] { return count_records(dir / "record", "term") == 1; }, 5s));
    corral.signal(SIGINT);
    const auto status = corral.wait(5s);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
    CHECK(corral.stderr_text().find("SIGINT again: killing every remaining process now") != std::string::npos);
}

TEST_CASE("no zombies: orphans re-parented to the daemon are reaped") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", EXIT_AFTER_MS = "300" }
backoff = { initial = "100ms" }
start_limit = { burst = 100 }
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") >= 4; }, 20s));
    const auto no_zombies = [&] {
        for (const pid_t pid : descendants_of(corral.pid())) {
            if (process_state(pid) == 'Z') return false;
        }
        return true;
    };
    // Zombies exist for an instant between a death and its SIGCHLD; none may stay.
    CHECK(wait_until(no_zombies, 2s));
    CHECK(corral.stop() == 0);
}

TEST_CASE("a second daemon on the same state directory refuses to start") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.idle]
command = ["node", "${fixture}"]
)", {{"fixture", fixture("idle.js")}}));
    CorralProcess first(dir.path(), {"up"});
    // Its service started (the standby of its next incarnation may follow at once: not exactly one).
    REQUIRE(wait_until([&] { return !descendants_of(first.pid()).empty(); }, 10s));
    TempDir other;
    const auto second = run_corral(other.path(), {"up", (dir / "corral.toml").string()});
    CHECK(second.exit_code == 1);
    CHECK(second.err == "corral: another corral daemon (pid " + std::to_string(first.pid()) +
                            ") is already running with state directory " + (dir / ".corral").string() +
                            "; stop it first, or use another state directory\n");
    CHECK(first.stop() == 0);
}

TEST_CASE("a stop that comes right behind a start reaches the program before it joined its cgroup") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.idle]
command = ["node", "${fixture}"]
stop = { timeout = "10s" }
)", {{"fixture", fixture("idle.js")}}));
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    const auto state = [&] { return instance_of(client, "idle#0")["state"]; };
    REQUIRE(wait_until([&] { return state() == "running"; }, 10s));
    REQUIRE(client.request("stop", {{"target", "idle"}})["ok"] == true);
    REQUIRE(wait_until([&] { return state() == "stopped"; }, 15s));
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        // Both in one write: the daemon reads them in one go, and the stop finds the new process before its
        // exec shim has moved into the instance's cgroup.
        const auto asked = std::chrono::steady_clock::now();
        REQUIRE(client.send(R"({"v":1,"id":2,"cmd":"start","args":{"target":"idle"}})"
                            "\n"
                            R"({"v":1,"id":3,"cmd":"stop","args":{"target":"idle"}})"
                            "\n"));
        REQUIRE(client.read_line());
        REQUIRE(client.read_line());
        REQUIRE(wait_until([&] { return state() == "stopped"; }, 15s));
        // Missed, the program would have been SIGKILLed after its 10 s stop timeout.
        CHECK(std::chrono::steady_clock::now() - asked < 5s);
    }
    CHECK(corral.stderr_text().find("stop timeout") == std::string::npos);
    CHECK(corral.stop() == 0);
}

// libuv collects every exited child before their callbacks run; the stop's SIGKILL of the group also kills
// the standby waiting in it, whose handle the restart closes in the first callback.
TEST_CASE("restarts whose stop ends in SIGKILL with a standby in the group leave the daemon running") {
    TempDir dir;
    dir.write("corral.toml", "[services.stubborn]\ncommand = [\"node\", \"" + fixture("stubborn.js").string() +
                                 "\"]\nenv = { RECORD_FILE = \"" + (dir / "record").string() +
                                 "\" }\nstop = { timeout = \"200ms\" }\n");
    CorralProcess corral(dir.path(), {"up"});
    const auto record = dir / "record";
    REQUIRE(wait_until([&] { return records_of(record, "start").size() == 1; }, 10s));
    SocketClient client(dir / ".corral/corral.sock");
    REQUIRE(client.connected());
    for (std::size_t round = 1; round <= 4; ++round) {
        CAPTURE(round);
        const auto reply = client.request("restart", {{"target", "stubborn"}});
        CHECK(reply.contains("result"));
        REQUIRE(wait_until([&] { return records_of(record, "start").size() == round + 1; }, 10s));
        CHECK(process_alive(corral.pid()));
    }
    CHECK(corral.stop() == 0);
}
