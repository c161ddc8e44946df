// The readiness probe destroyed in each phase of an attempt (waiting, resolving, connecting, exchanging,
// from on_ready): nothing is left behind on the loop, which the sanitized build checks for use after free
// and leaks. Also host names, whose addresses are tried in order, and an IPv6 target where the host has ::1.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "base/unique_fd.hpp"
#include "supervisor/instance/readiness_probe.hpp"
#include "tests/supervisor/instance/probe_server.hpp"
#include "tests/support/uv_loop.hpp"

using corral::config::ProbeTarget;
using corral::supervisor::ReadinessProbe;
using corral::test::ProbeServer;
using corral::test::run_until;
using namespace std::chrono_literals;

namespace {

constexpr ReadinessProbe::Timing kFast{.interval = 20ms, .attempt_timeout = 1s};

ProbeTarget target(const std::string& text) {
    std::string error;
    const auto parsed = text.starts_with("http://") ? corral::config::parse_http_target(text, error)
                                                    : corral::config::parse_tcp_target(text, error);
    REQUIRE_MESSAGE(parsed.has_value(), error);
    return *parsed;
}

}  // namespace

TEST_CASE("readiness probe lifetime: destroyed before its first attempt") {
    corral::test::Loop loop;
    bool ready = false;
    auto probe = ReadinessProbe::start(loop.get(), target("127.0.0.1:1"), kFast, [&] { ready = true; });
    probe.reset();
    CHECK(loop.close() == 0);
    CHECK_FALSE(ready);
}

TEST_CASE("readiness probe lifetime: destroyed while a host name resolves") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    REQUIRE(server.listen() == 0);
    bool ready = false;
    auto probe = ReadinessProbe::start(loop.get(), target("localhost:" + std::to_string(server.port())), kFast,
                                       [&] { ready = true; });
    uv_run(loop.get(), UV_RUN_NOWAIT);  // the first attempt starts: its resolution goes to the thread pool
    REQUIRE(probe->attempts() == 1);
    probe.reset();
    server.close();
    CHECK(loop.close() == 0);  // waits for the resolution, which frees itself
    CHECK_FALSE(ready);
}

TEST_CASE("readiness probe lifetime: destroyed while its connect waits for an answer") {
    // A listener with a full accept queue never answers a connect (see readiness_probe_test.cpp).
    corral::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    socklen_t length = sizeof address;
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener.get(), 0) == 0);
    REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    corral::UniqueFd filler(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ::connect(filler.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);

    corral::test::Loop loop;
    auto probe = ReadinessProbe::start(loop.get(), target("127.0.0.1:" + std::to_string(ntohs(address.sin_port))),
                                       {.interval = 20ms, .attempt_timeout = 10s}, [] {});
    uv_run(loop.get(), UV_RUN_NOWAIT);  // the first attempt starts: it connects
    REQUIRE(probe->attempts() == 1);
    uv_run(loop.get(), UV_RUN_NOWAIT);
    CHECK(probe->last_failure().empty());  // the connect is still waiting
    CHECK_FALSE(probe->ready());
    probe.reset();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe lifetime: destroyed while the server holds its request unanswered") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    REQUIRE(server.listen() == 0);
    auto probe = ReadinessProbe::start(loop.get(), target("http://127.0.0.1:" + std::to_string(server.port()) + "/"),
                                       kFast, [] {});
    REQUIRE(run_until(loop.get(), [&] { return server.requests.size() == 1; }, 10s));
    probe.reset();
    REQUIRE(run_until(loop.get(), [&] { return server.open == 0; }, 10s));
    server.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe lifetime: destroyed by its owner from on_ready") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    server.mode = ProbeServer::Mode::reply;
    server.reply = ProbeServer::http_reply("200 OK");
    REQUIRE(server.listen() == 0);
    int ready_calls = 0;
    std::unique_ptr<ReadinessProbe> probe;
    probe = ReadinessProbe::start(loop.get(), target("http://127.0.0.1:" + std::to_string(server.port()) + "/"), kFast,
                                  [&] {
                                      ++ready_calls;
                                      probe.reset();
                                  });
    REQUIRE(run_until(loop.get(), [&] { return ready_calls > 0; }, 10s));
    CHECK(probe == nullptr);
    server.close();
    CHECK(loop.close() == 0);
    CHECK(ready_calls == 1);
}

TEST_CASE("readiness probe: a host name's addresses are tried in order until one answers") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    int ready_calls = 0;
    auto probe = ReadinessProbe::start(loop.get(), target("localhost:" + std::to_string(server.port())), kFast,
                                       [&] { ++ready_calls; });
    REQUIRE(run_until(loop.get(), [&] { return probe->attempts() >= 2; }, 10s));
    // "connection refused", or, where localhost is ::1 too, "[::1]:P: connection refused; 127.0.0.1:P: ...".
    CHECK(probe->last_failure().find("connection refused") != std::string::npos);
    CHECK(probe->last_failure().find("cannot resolve") == std::string::npos);
    REQUIRE(server.listen() == 0);
    REQUIRE(run_until(loop.get(), [&] { return ready_calls > 0; }, 10s));
    probe.reset();
    server.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe: an IPv6 target, where the host has ::1") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "::1");
    if (!server.bound()) {
        MESSAGE("skipped: this host has no ::1 to listen on");
        server.close();
        CHECK(loop.close() == 0);
        return;
    }
    server.mode = ProbeServer::Mode::reply;
    server.reply = ProbeServer::http_reply("200 OK");
    REQUIRE(server.listen() == 0);
    int ready_calls = 0;
    const std::string port = std::to_string(server.port());
    auto probe = ReadinessProbe::start(loop.get(), target("http://[::1]:" + port + "/ready"), kFast, [&] { ++ready_calls; });
    REQUIRE(run_until(loop.get(), [&] { return ready_calls > 0; }, 10s));
    REQUIRE(server.requests.size() == 1);
    CHECK(server.requests[0].starts_with("GET /ready HTTP/1.1\r\nHost: [::1]:" + port + "\r\n"));
    auto tcp = ReadinessProbe::start(loop.get(), target("[::1]:" + port), kFast, [&] { ++ready_calls; });
    REQUIRE(run_until(loop.get(), [&] { return ready_calls > 1; }, 10s));
    probe.reset();
    tcp.reset();
    server.close();
    CHECK(loop.close() == 0);
}
