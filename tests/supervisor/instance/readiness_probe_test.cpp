// The readiness probe against real loopback servers on the test's own loop (tests/.../probe_server.hpp):
// a server that starts listening late, refuses, answers 503 then 200, accepts and never answers, or never
// completes the handshake; and the probe destroyed in every phase of an attempt, which the sanitized build
// checks for leaks and use after free (every test ends with the loop closed empty).
#include "supervisor/instance/readiness_probe.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <functional>
#include <string>

#include "base/unique_fd.hpp"
#include "base/uv_handle.hpp"
#include "tests/supervisor/instance/probe_server.hpp"
#include "tests/support/uv_loop.hpp"

using corral::UniqueFd;
using corral::UvHandle;
using corral::config::ProbeTarget;
using corral::supervisor::ReadinessProbe;
using corral::test::ProbeServer;
using corral::test::run_until;
using namespace std::chrono_literals;

namespace {

constexpr ReadinessProbe::Timing kFast{.interval = 20ms, .attempt_timeout = 1s};
constexpr ReadinessProbe::Timing kImpatient{.interval = 20ms, .attempt_timeout = 100ms};

ProbeTarget tcp_target(const std::string& text) {
    std::string error;
    const auto target = corral::config::parse_tcp_target(text, error);
    REQUIRE_MESSAGE(target.has_value(), error);
    return *target;
}

ProbeTarget http_target(const std::string& text) {
    std::string error;
    const auto target = corral::config::parse_http_target(text, error);
    REQUIRE_MESSAGE(target.has_value(), error);
    return *target;
}

// Runs `action` once, `delay` from now, on the loop.
class Later {
public:
    Later(uv_loop_t* loop, std::chrono::milliseconds delay, std::function<void()> action) : action_(std::move(action)) {
        timer_.init(uv_timer_init, loop);
        timer_.get()->data = this;
        uv_timer_start(timer_.get(), [](uv_timer_t* t) { static_cast<Later*>(t->data)->action_(); },
                       static_cast<std::uint64_t>(delay.count()), 0);
    }

    void cancel() { timer_.close(); }

private:
    UvHandle<uv_timer_t> timer_;
    std::function<void()> action_;
};

// A listening socket whose accept queue is full: a connect to it is never answered (Linux drops the SYN
// of a listener whose queue is full). Backlog 0 holds one connection; the fillers queue one and hang.
struct Unanswered {
    UniqueFd listener;
    std::vector<UniqueFd> fillers;
    std::uint16_t port = 0;

    Unanswered() {
        listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        uv_ip4_addr("127.0.0.1", 0, &address);
        socklen_t length = sizeof address;
        REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener.get(), 0) == 0);
        REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port = ntohs(address.sin_port);
        for (int i = 0; i < 3; ++i) {
            fillers.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            ::connect(fillers.back().get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
        }
    }
};

std::string port_text(const ProbeServer& server) { return std::to_string(server.port()); }

}  // namespace

TEST_CASE("readiness probe, tcp: ready once the server listens, refused until then") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    int ready_calls = 0;
    auto probe = ReadinessProbe::start(loop.get(), tcp_target("127.0.0.1:" + port_text(server)),
                                       {.interval = 50ms, .attempt_timeout = 1s}, [&] { ++ready_calls; });
    std::string failure_before;
    unsigned attempts_before = 0;
    Later listen(loop.get(), 500ms, [&] {
        failure_before = probe->last_failure();
        attempts_before = probe->attempts();
        REQUIRE(server.listen() == 0);
    });
    REQUIRE(run_until(loop.get(), [&] { return ready_calls > 0 && server.accepted > 0; }, 10s));
    CHECK(failure_before == "connection refused");
    CHECK(attempts_before >= 2);
    CHECK(probe->ready());
    CHECK(probe->last_failure().empty());
    CHECK(probe->attempts() > attempts_before);
    CHECK(ready_calls == 1);
    CHECK(server.accepted == 1);
    listen.cancel();
    probe.reset();
    server.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe, tcp: a refused port is tried again and again, and says so") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    bool ready = false;
    auto probe = ReadinessProbe::start(loop.get(), tcp_target("127.0.0.1:" + port_text(server)), kFast, [&] { ready = true; });
    CHECK(probe->attempts() == 0);
    CHECK(probe->last_failure().empty());
    REQUIRE(run_until(loop.get(), [&] { return probe->attempts() >= 4; }, 10s));
    CHECK(probe->last_failure() == "connection refused");
    CHECK_FALSE(ready);
    CHECK_FALSE(probe->ready());
    probe.reset();
    server.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe, tcp: a connect never answered ends with the attempt's deadline, then the next") {
    Unanswered unanswered;
    corral::test::Loop loop;
    bool ready = false;
    auto probe = ReadinessProbe::start(loop.get(), tcp_target("127.0.0.1:" + std::to_string(unanswered.port)),
                                       kImpatient, [&] { ready = true; });
    REQUIRE(run_until(loop.get(), [&] { return probe->attempts() >= 3; }, 10s));
    CHECK(probe->last_failure() == "no answer to connect within 100ms");
    CHECK_FALSE(ready);
    probe.reset();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe, http: 200 is ready after one request of the documented form") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    server.mode = ProbeServer::Mode::reply;
    server.reply = ProbeServer::http_reply("200 OK");
    REQUIRE(server.listen() == 0);
    int ready_calls = 0;
    auto probe = ReadinessProbe::start(loop.get(), http_target("http://127.0.0.1:" + port_text(server) + "/health?deep=1"),
                                       kFast, [&] { ++ready_calls; });
    REQUIRE(run_until(loop.get(), [&] { return ready_calls > 0 && server.open == 0; }, 10s));
    CHECK(ready_calls == 1);
    CHECK(probe->attempts() == 1);
    REQUIRE(server.requests.size() == 1);
    CHECK(server.requests[0] == "GET /health?deep=1 HTTP/1.1\r\nHost: 127.0.0.1:" + port_text(server) +
                                    "\r\nUser-Agent: corral\r\nConnection: close\r\n\r\n");
    probe.reset();
    server.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe, http: 503 is not ready, until the answer turns 200") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    server.mode = ProbeServer::Mode::reply;
    server.reply = ProbeServer::http_reply("503 Service Unavailable");
    REQUIRE(server.listen() == 0);
    int ready_calls = 0;
    auto probe = ReadinessProbe::start(loop.get(), http_target("http://127.0.0.1:" + port_text(server) + "/health"),
                                       kFast, [&] { ++ready_calls; });
    REQUIRE(run_until(loop.get(), [&] { return probe->attempts() >= 3; }, 10s));
    CHECK(probe->last_failure() == "HTTP 503 Service Unavailable");
    CHECK(ready_calls == 0);
    server.reply = ProbeServer::http_reply("204 No Content");
    REQUIRE(run_until(loop.get(), [&] { return ready_calls > 0 && server.open == 0; }, 10s));
    CHECK(ready_calls == 1);
    CHECK(server.requests.size() == probe->attempts());  // one request an attempt, never two at once
    probe.reset();
    server.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe, http: a server that accepts and never answers costs one deadline an attempt") {
    corral::test::Loop loop;
    ProbeServer server(loop.get(), "127.0.0.1");
    REQUIRE(server.bound());
    server.mode = ProbeServer::Mode::silent;
    REQUIRE(server.listen() == 0);
    bool ready = false;
    auto probe = ReadinessProbe::start(loop.get(), http_target("http://127.0.0.1:" + port_text(server) + "/"), kImpatient,
                                       [&] { ready = true; });
    REQUIRE(run_until(loop.get(), [&] { return probe->attempts() >= 3 && server.requests.size() >= 3; }, 10s));
    CHECK(probe->last_failure() == "no HTTP answer within 100ms");
    CHECK_FALSE(ready);
    CHECK(server.accepted <= static_cast<int>(probe->attempts()));
    probe.reset();
    REQUIRE(run_until(loop.get(), [&] { return server.open == 0; }, 10s));  // the probe closed every connection
    server.close();
    CHECK(loop.close() == 0);
}

TEST_CASE("readiness probe, http: answers that are not 2xx status lines say what they were") {
    struct Case {
        ProbeServer::Mode mode;
        std::string reply;
        std::string failure;
    };
    const Case cases[] = {
        {ProbeServer::Mode::close_unanswered, "", "the server closed the connection without an answer"},
        {ProbeServer::Mode::reply, "SSH-2.0-OpenSSH_9.2\r\n", "the answer is not HTTP/1.x: \"SSH-2.0-OpenSSH_9.2\""},
        {ProbeServer::Mode::reply, "HTTP/1.1 200", "the server closed the connection within the status line"},
        {ProbeServer::Mode::reply, ProbeServer::http_reply("404 Not Found"), "HTTP 404 Not Found"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.failure);
        corral::test::Loop loop;
        ProbeServer server(loop.get(), "127.0.0.1");
        REQUIRE(server.bound());
        server.mode = c.mode;
        server.reply = c.reply;
        REQUIRE(server.listen() == 0);
        auto probe = ReadinessProbe::start(loop.get(), http_target("http://127.0.0.1:" + port_text(server) + "/"), kFast, [] {});
        REQUIRE(run_until(loop.get(), [&] { return !probe->last_failure().empty(); }, 10s));
        CHECK(probe->last_failure() == c.failure);
        CHECK_FALSE(probe->ready());
        probe.reset();
        server.close();
        CHECK(loop.close() == 0);
    }
}
