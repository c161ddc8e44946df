// Commands that wait for their result, on the protocol ("wait": true), through a real daemon: a stop answers
// once the process is gone, a restart once the new one runs, a failed start is an error, a timeout ends
// the wait, clients that go away and a daemon that stops are answered or forgotten cleanly, and requests
// without "wait" get exactly the replies they always got.
//
// Most cases use held.js, whose process does not exit on SIGTERM until the test creates its release file:
// the test decides when a stop can complete, so "the reply came only after X" is an ordering, not a timing.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* kHeld = R"TOML(
[services.held]
command = ["node", "${held}"]
env = { RECORD_FILE = "${record}", RELEASE_FILE = "${release}" }
stop = { timeout = "${stop_timeout}" }
)TOML";

struct Daemon {
    TempDir dir;
    std::unique_ptr<CorralProcess> corral;
    fs::path socket;

    explicit Daemon(const std::string& file, std::size_t starts, const std::string& stop_timeout = "20s") {
        dir.write("corral.toml", subst(file, {{"held", fixture("held.js")},
                                              {"idle", fixture("idle.js")},
                                              {"stubborn", fixture("stubborn.js")},
                                              {"record", dir / "record"},
                                              {"release", dir / "release"},
                                              {"missing", dir / "no-such-program"},
                                              {"stop_timeout", stop_timeout}}));
        corral = std::make_unique<CorralProcess>(dir.path(), std::vector<std::string>{"up"});
        socket = dir / ".corral/corral.sock";
        REQUIRE(wait_until([&] { return count_records(dir / "record", "start") >= starts; }, 20s));
        REQUIRE(wait_until([&] { return fs::exists(socket); }, 5s));
    }
    pid_t last(const std::string& what) const {
        const auto records = records_of(dir / "record", what);
        return records.empty() ? 0 : records.back().pid;
    }
    void release() const { std::ofstream(dir / "release") << "go\n"; }
};

// What came back for one waiting request: its progress events, then its reply (null when none came).
struct Waited {
    std::vector<json> events;
    json reply;
};

bool send(SocketClient& client, const std::string& cmd, const json& args, int id = 1) {
    return client.send(json{{"v", 1}, {"id", id}, {"cmd", cmd}, {"args", args}}.dump() + "\n");
}

// Reads events until the reply, or until nothing came for `quiet`.
Waited read_until_reply(SocketClient& client, std::chrono::milliseconds quiet = 30s) {
    Waited waited;
    while (const auto line = client.read_line(quiet)) {
        json parsed = json::parse(*line, nullptr, false);
        if (parsed.contains("event")) {
            waited.events.push_back(parsed["event"]);
            continue;
        }
        waited.reply = std::move(parsed);
        break;
    }
    return waited;
}

Waited request_waiting(SocketClient& client, const std::string& cmd, json args, int id = 1) {
    args["wait"] = true;
    REQUIRE(send(client, cmd, args, id));
    return read_until_reply(client);
}

bool pid_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

std::vector<std::string> transitions(const std::vector<json>& events) {
    std::vector<std::string> list;
    for (const auto& event : events) {
        if (event.contains("to")) list.push_back(event["instance"].get<std::string>() + " " +
                                                 event["from"].get<std::string>() + ">" + event["to"].get<std::string>());
    }
    return list;
}

}  // namespace

TEST_CASE("waiting stop: the reply comes once the process is gone - SIGKILL after the stop timeout is said") {
    Daemon daemon(kHeld, 1, "1s");
    const pid_t pid = daemon.last("start");
    SocketClient client(daemon.socket);
    const Waited waited = request_waiting(client, "stop", {{"target", "held"}});
    // Right as the reply is read, the process no longer exists at all (not even as a zombie).
    CHECK_FALSE(pid_exists(pid));
    REQUIRE(waited.reply["ok"] == true);
    CHECK(waited.reply["id"] == 1);
    CHECK(waited.reply["result"]["instances"] == json::array({"held#0"}));
    const json outcome = waited.reply["result"]["outcomes"][0];
    CHECK(outcome["instance"] == "held#0");
    CHECK(outcome["result"] == "done");
    CHECK(outcome["state"] == "stopped");
    CHECK(outcome["pid"].is_null());
    CHECK(outcome["reason"] == "stopped (killed by SIGKILL)");
    CHECK(transitions(waited.events) == std::vector<std::string>{"held#0 running>stopping", "held#0 stopping>stopped"});
    CHECK(count_records(daemon.dir / "record", "term") == 1);

    // Stopped already: done at once, and said so.
    const Waited again = request_waiting(client, "stop", {{"target", "held#0"}}, 2);
    CHECK(again.events.empty());
    CHECK(again.reply["result"]["outcomes"][0]["result"] == "already");
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("waiting restart: answered only after the old process is gone and the new one runs - then signal reaches it") {
    Daemon daemon(kHeld, 1);
    const pid_t old_pid = daemon.last("start");
    SocketClient client(daemon.socket);
    REQUIRE(send(client, "restart", {{"target", "held"}, {"wait", true}}));
    // The old process holds its stop: the restart's first step shows, and no reply comes while it is held.
    const auto first = client.read_line();
    REQUIRE(first.has_value());
    CHECK(json::parse(*first)["event"]["to"] == "stopping");
    REQUIRE(wait_until([&] { return count_records(daemon.dir / "record", "term") == 1; }, 10s));
    CHECK_FALSE(client.read_line(500ms).has_value());
    CHECK(pid_exists(old_pid));

    daemon.release();
    const Waited waited = read_until_reply(client);
    REQUIRE(waited.reply["ok"] == true);
    CHECK_FALSE(pid_exists(old_pid));
    const json outcome = waited.reply["result"]["outcomes"][0];
    CHECK(outcome["result"] == "done");
    CHECK(outcome["state"] == "running");
    const pid_t new_pid = outcome["pid"].get<pid_t>();
    CHECK(new_pid != old_pid);
    CHECK(process_alive(new_pid));
    CHECK(transitions(waited.events) == std::vector<std::string>{"held#0 stopping>starting", "held#0 starting>running"});

    // `running` is the program's exec today: Node runs its first line (the handler) some 40-100 ms later,
    // and a SIGUSR2 before that kills it. Once running means ready, this wait for the record goes.
    REQUIRE(wait_until([&] { return daemon.last("start") == new_pid; }, 10s));
    const Waited signalled = request_waiting(client, "signal", {{"target", "held"}, {"signal", "USR2"}}, 2);
    REQUIRE(signalled.reply["ok"] == true);
    CHECK(signalled.reply["result"]["instances"] == json::array({"held#0"}));
    CHECK(signalled.reply["result"]["outcomes"][0]["result"] == "signalled");
    CHECK(signalled.reply["result"]["outcomes"][0]["pid"] == new_pid);
    CHECK(wait_until([&] { return daemon.last("usr2") == new_pid; }, 10s));
    CHECK(count_records(daemon.dir / "record", "usr2") == 1);
    CHECK(process_alive(new_pid));
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("waiting start: a program that cannot start is a wait_failed error with the reason") {
    Daemon daemon(R"TOML(
[services.idle]
command = ["node", "${idle}"]
env = { RECORD_FILE = "${record}" }

[services.broken]
command = ["${missing}"]
restart = "never"
)TOML", 0);
    REQUIRE(wait_until([&] { return read_records(daemon.dir / "record").size() == 1; }, 20s));
    SocketClient client(daemon.socket);
    REQUIRE(wait_until([&] { return instance_of(client, "broken#0")["state"] == "exited"; }, 20s));
    const Waited waited = request_waiting(client, "start", {{"target", "all"}});
    REQUIRE(waited.reply["ok"] == false);
    const json error = waited.reply["error"];
    CHECK(error["code"] == "wait_failed");
    const std::string message = error["message"];
    CHECK(message.rfind("broken#0: exited with code 127 after ", 0) == 0);
    CHECK(message.find("restart = \"never\": not restarting") != std::string::npos);
    // The details: the result as it stands, each instance's outcome.
    CHECK(error["details"]["instances"] == json::array({"idle#0", "broken#0"}));
    CHECK(error["details"]["outcomes"][0]["result"] == "already");
    CHECK(error["details"]["outcomes"][0]["state"] == "running");
    CHECK(error["details"]["outcomes"][1]["result"] == "failed");
    CHECK(error["details"]["outcomes"][1]["state"] == "exited");
    CHECK(transitions(waited.events) == std::vector<std::string>{"broken#0 exited>starting", "broken#0 starting>exited"});
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("waiting: timeout_ms ends the wait with what is still pending - and heartbeats show it is alive") {
    Daemon daemon(kHeld, 1);
    SocketClient client(daemon.socket);
    SUBCASE("timeout") {
        const Waited waited = request_waiting(client, "stop", {{"target", "held"}, {"timeout_ms", 300}});
        REQUIRE(waited.reply["ok"] == false);
        CHECK(waited.reply["error"]["code"] == "timeout");
        CHECK(waited.reply["error"]["message"] == "timed out after 300ms; still waiting for held#0 (stopping)");
        CHECK(waited.reply["error"]["details"]["outcomes"][0]["result"] == "pending");
    }
    SUBCASE("heartbeat") {
        REQUIRE(send(client, "stop", {{"target", "held"}, {"wait", true}}));
        json heartbeat;
        while (heartbeat.is_null()) {
            const auto line = client.read_line(20s);
            REQUIRE(line.has_value());
            const json parsed = json::parse(*line);
            REQUIRE(parsed.contains("event"));
            if (parsed["event"].contains("waiting")) heartbeat = parsed["event"];
        }
        CHECK(heartbeat["waiting"] == json::array({{{"instance", "held#0"}, {"state", "stopping"}}}));
        CHECK(heartbeat["elapsed_ms"] == 5000);
        daemon.release();
        CHECK(read_until_reply(client).reply["ok"] == true);
    }
    daemon.release();
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("waiting: clients that go away mid-wait are forgotten, many wait at once, and a stopping daemon answers") {
    Daemon daemon(kHeld, 1, "30s");
    {
        SocketClient leaving(daemon.socket);
        REQUIRE(send(leaving, "stop", {{"target", "held"}, {"wait", true}}));
        REQUIRE(leaving.read_line().has_value());  // running -> stopping
    }
    std::vector<std::unique_ptr<SocketClient>> clients;
    for (int i = 0; i < 20; ++i) {
        clients.push_back(std::make_unique<SocketClient>(daemon.socket));
        REQUIRE(send(*clients.back(), i % 2 == 0 ? "stop" : "start", {{"target", "held#0"}, {"wait", true}}, i));
        // A connection's requests are handled in order: once this one is answered, the wait is registered.
        REQUIRE(send(*clients.back(), "version", json::object(), 100 + i));
        const auto version = clients.back()->read_line();
        REQUIRE(version.has_value());
        REQUIRE(json::parse(*version)["id"] == 100 + i);
    }
    SocketClient observer(daemon.socket);
    CHECK(instance_of(observer, "held#0")["state"] == "stopping");

    // The daemon is told to stop while they all wait: each gets shutting_down, and the daemon exits 0.
    daemon.corral->signal(SIGTERM);
    for (int i = 0; i < 20; ++i) {
        CAPTURE(i);
        const Waited waited = read_until_reply(*clients[static_cast<std::size_t>(i)]);
        CHECK(waited.reply["id"] == i);
        CHECK(waited.reply["error"]["code"] == "shutting_down");
        CHECK(waited.reply["error"]["message"] == "the daemon is stopping; still waiting for held#0 (stopping)");
    }
    daemon.release();
    const auto status = daemon.corral->wait(30s);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("waiting reload: what it started runs and what it removed is gone") {
    Daemon daemon(kHeld, 1, "1s");
    daemon.release();
    const pid_t held = daemon.last("start");
    daemon.dir.write("corral.toml", subst(R"TOML(
[services.idle]
command = ["node", "${idle}"]
instances = 2
env = { RECORD_FILE = "${record}" }
)TOML", {{"idle", fixture("idle.js")}, {"record", daemon.dir / "record"}}));
    SocketClient client(daemon.socket);
    const Waited waited = request_waiting(client, "reload", json::object());
    REQUIRE(waited.reply["ok"] == true);
    CHECK_FALSE(pid_exists(held));
    const json result = waited.reply["result"];
    CHECK(result["changes"] == json::array({{{"service", "idle"}, {"action", "add"}}, {{"service", "held"}, {"action", "remove"}}}));
    std::map<std::string, std::string> states;
    for (const auto& outcome : result["outcomes"]) {
        CHECK(outcome["result"] == "done");
        states[outcome["instance"]] = outcome["state"];
    }
    CHECK(states == std::map<std::string, std::string>{{"held#0", "stopped"}, {"idle#0", "running"}, {"idle#1", "running"}});
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("waiting signal: an instance that is not running is refused - without wait it is skipped as before") {
    Daemon daemon(R"TOML(
[services.idle]
command = ["node", "${idle}"]
instances = 2
env = { RECORD_FILE = "${record}" }
)TOML", 0);
    REQUIRE(wait_until([&] { return read_records(daemon.dir / "record").size() == 2; }, 20s));
    SocketClient client(daemon.socket);
    REQUIRE(request_waiting(client, "stop", {{"target", "idle#1"}}).reply["ok"] == true);
    // SIGWINCH: ignored by Node, and not SIGUSR1, which would open its inspector's port.
    const Waited refused = request_waiting(client, "signal", {{"target", "idle"}, {"signal", "SIGWINCH"}}, 2);
    REQUIRE(refused.reply["ok"] == false);
    CHECK(refused.reply["error"]["code"] == "not_running");
    CHECK(refused.reply["error"]["message"] == "idle#1: not running (stopped), not signalled");
    CHECK(refused.reply["error"]["details"]["instances"] == json::array({"idle#0"}));
    CHECK(refused.reply["error"]["details"]["outcomes"][1]["result"] == "not_running");
    CHECK(client.request("signal", {{"target", "idle#1"}, {"signal", "SIGWINCH"}}, 3)["result"] ==
          json{{"instances", json::array()}});
    CHECK(daemon.corral->stop() == 0);
}

TEST_CASE("requests without wait get the replies they always got, at once") {
    Daemon daemon(kHeld, 1, "30s");
    const pid_t pid = daemon.last("start");
    SocketClient client(daemon.socket);
    const auto exact = [&](const std::string& line, const std::string& expected) {
        REQUIRE(client.send(line + "\n"));
        CHECK(client.read_line() == expected);
    };
    // The stop is held by the process, yet the reply is there, and it is today's, byte for byte.
    exact(R"({"v":1,"id":1,"cmd":"stop","args":{"target":"held"}})", R"({"id":1,"ok":true,"result":{"instances":["held#0"]}})");
    CHECK(process_alive(pid));
    exact(R"({"v":1,"id":2,"cmd":"stop","args":{"target":"held","wait":false}})",
          R"({"id":2,"ok":true,"result":{"instances":["held#0"]}})");
    exact(R"({"v":1,"id":3,"cmd":"start","args":{"target":"held#0"}})", R"({"id":3,"ok":true,"result":{"instances":["held#0"]}})");
    exact(R"({"v":1,"id":4,"cmd":"reload"})", R"({"id":4,"ok":true,"result":{"changes":[]}})");
    exact(R"({"v":1,"id":5,"cmd":"restart","args":{"target":"held","timeout_ms":100}})",
          R"({"id":5,"ok":false,"error":{"code":"bad_args","message":"\"timeout_ms\" is only taken with \"wait\": true"}})");
    exact(R"({"v":1,"id":6,"cmd":"restart","args":{"target":"nope","wait":true}})",
          R"({"id":6,"ok":false,"error":{"code":"not_found","message":"no service or instance \"nope\""}})");
    daemon.release();
    CHECK(daemon.corral->stop() == 0);
}
