// Readiness: with `ready` other than "exec" an instance is `running` only once ready, and one that is not
// ready within ready_timeout is killed and counts as a failed start.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/unique_fd.hpp"

#include "tests/support/control_socket.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

const char* kReadyLater = R"(
[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", READY_AFTER_MS = "${after}" }
ready = "message"
ready_timeout = "${timeout}"
backoff = { initial = "100ms" }
)";

const char* kListenLater = R"(
[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", LISTEN_AFTER_MS = "800", PORT = "${port}", HTTP_STATUS = "${status}" }
ready = ${ready}
ready_timeout = "${timeout}"
backoff = { initial = "100ms" }
)";

std::string state_of(SocketClient& client, const std::string& name) {
    const nlohmann::json instance = instance_of(client, name);
    return instance.is_object() ? instance.value("state", "") : "";
}

}  // namespace

TEST_CASE("ready = \"message\": starting until the program sends \"ready\", then running") {
    TempDir dir;
    dir.write("corral.toml", subst(kReadyLater, {{"fixture", fixture("ready_later.js")}, {"record", dir / "record"},
                                                 {"after", "800"}, {"timeout", "10s"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return read_records(dir / "record").size() == 1; }, 10s));
    SocketClient client(dir / ".corral/corral.sock");
    REQUIRE(client.connected());
    CHECK(state_of(client, "web#0") == "starting");
    CHECK(wait_until([&] { return state_of(client, "web#0") == "running"; }, 5s));
    const auto log = dir / ".corral/corral.log";
    CHECK(lines_containing(log, "web#0 [pid " + std::to_string(read_records(dir / "record").front().pid) +
                                    "]: starting -> running: ready: it sent \"ready\"").size() == 1);
    CHECK(lines_containing(log, "program started, waiting until it is ready").size() == 1);
    // The "ready" it sent is corral's, not a message for a route.
    CHECK(lines_containing(log, "dropped a message").empty());
    CHECK(corral.stop() == 0);
}

TEST_CASE("an instance not ready within ready_timeout is killed and restarted as a failed start") {
    TempDir dir;
    dir.write("corral.toml", subst(kReadyLater, {{"fixture", fixture("ready_later.js")}, {"record", dir / "record"},
                                                 {"after", "never"}, {"timeout", "300ms"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return read_records(dir / "record").size() >= 3; }, 10s));
    const auto records = read_records(dir / "record");
    CHECK(!process_alive(records.front().pid));
    const auto log = dir / ".corral/corral.log";
    CHECK(lines_containing(log, "not ready within 300ms (it sent no \"ready\"): killing it").size() >= 2);
    CHECK(!lines_containing(log, "starting -> backoff: not ready within 300ms (killed by SIGKILL after").empty());
    CHECK(lines_containing(log, "-> running").empty());
    CHECK(corral.stop() == 0);
}

TEST_CASE("ready = { http } and { tcp }: starting until the probe succeeds, with what it waits for in status") {
    for (const std::string kind : {"http", "tcp"}) {
        CAPTURE(kind);
        TempDir dir;
        const std::uint16_t port = free_loopback_port();
        const std::string target = kind == "http" ? "http://127.0.0.1:" + std::to_string(port) + "/health"
                                                  : "127.0.0.1:" + std::to_string(port);
        dir.write("corral.toml", subst(kListenLater, {{"fixture", fixture("listen_later.js")}, {"record", dir / "record"},
                                                      {"port", std::to_string(port)}, {"status", "200"},
                                                      {"ready", "{ " + kind + " = \"" + target + "\" }"},
                                                      {"timeout", "10s"}}));
        CorralProcess corral(dir.path(), {"up"});
        REQUIRE(wait_until([&] { return read_records(dir / "record").size() == 1; }, 10s));
        SocketClient client(dir / ".corral/corral.sock");
        REQUIRE(client.connected());
        const auto waiting = [&] {
            const nlohmann::json instance = instance_of(client, "web#0");
            return instance.is_object() && instance.contains("waiting_until_ready") && instance["waiting_until_ready"].is_string();
        };
        REQUIRE(wait_until(waiting, 5s));
        CHECK(state_of(client, "web#0") == "starting");
        CHECK(instance_of(client, "web#0")["waiting_until_ready"].get<std::string>().starts_with("last probe: "));
        CHECK(wait_until([&] { return state_of(client, "web#0") == "running"; }, 5s));
        const auto log = dir / ".corral/corral.log";
        const std::string shown = kind == "http" ? target : "127.0.0.1:" + std::to_string(port);
        CHECK(lines_containing(log, "-> running: ready: " + shown + " answered").size() == 1);
        CHECK(corral.stop() == 0);
    }
}

TEST_CASE("an http probe answered 503 until the ready timeout kills the instance and says what it last saw") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    dir.write("corral.toml", subst(kListenLater, {{"fixture", fixture("listen_later.js")}, {"record", dir / "record"},
                                                  {"port", std::to_string(port)}, {"status", "503"},
                                                  {"ready", "{ http = \"http://127.0.0.1:" + std::to_string(port) + "/\" }"},
                                                  {"timeout", "1500ms"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "not ready within 1.5s (last probe: HTTP 503").empty(); }, 10s));
    CHECK(lines_containing(log, "-> running").empty());
    CHECK(corral.stop() == 0);
}
