// A control connection on a real loop, in the style of libuv's tests: a ControlServer listening on a Unix
// socket in a temporary directory, a LoopClient on the same loop, a handler that counts its calls. Each
// test asserts its counts after running the loop, and ends with every handle closed and the loop closing
// cleanly.
#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "supervisor/control/control_server.hpp"
#include "tests/support/loop_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using namespace corral;
using namespace corral::supervisor;
using namespace std::chrono_literals;
using corral::test::LoopClient;
using nlohmann::json;

namespace {

// Answers every request with {"cmd": NAME}; `events` also subscribes the client to the events stream.
class CountingHandler final : public ControlHandler {
public:
    void handle_request(ControlConnection& client, const protocol::Request& request) override {
        ++calls;
        requests.push_back(request);
        if (std::holds_alternative<protocol::Events>(request.command)) {
            Subscription subscription;
            subscription.id = request.id;
            subscription.events = true;
            client.subscribe(subscription);
        }
        if (std::holds_alternative<protocol::Restart>(request.command)) {  // plays a request that waits
            client.progress(request.id, {{"step", 1}});
            client.progress(request.id, {{"step", 2}});
        }
        client.reply(request.id, {{"cmd", protocol::name_of(request.command)}});
    }
    void connection_closed(ControlConnection& client) override {
        ++closed;
        CHECK(!client.closed());  // told before the connection lets go of its pipe
    }

    int calls = 0;
    int closed = 0;
    std::vector<protocol::Request> requests;
};

// The loop, a server on <tmp>/corral.sock and one connected client.
struct Fixture {
    test::TempDir dir;
    test::Loop loop;
    CountingHandler handler;
    ControlServer server{loop.get(), handler};
    std::optional<LoopClient> client;

    Fixture() {
        REQUIRE(server.listen(dir / "corral.sock"));
        client.emplace(loop.get(), dir / "corral.sock");
        REQUIRE(run_until([&] { return client->connected() && server.client_count() == 1; }));
    }

    bool run_until(const std::function<bool()>& done) { return test::run_until(loop.get(), done, 10s); }
    bool lines(std::size_t count) {
        return run_until([&] { return client->lines.size() >= count; });
    }

    // Closes the client and the server; the loop must then close with nothing left open.
    void finish() {
        client->close();
        server.close();
        CHECK(loop.close() == 0);
    }
};

json line(const LoopClient& client, std::size_t index) { return json::parse(client.lines.at(index)); }

}  // namespace

TEST_CASE("control connection: a request gets its reply") {
    Fixture f;
    f.client->send(R"({"v":1,"id":7,"cmd":"status"})" "\n");
    REQUIRE(f.lines(1));

    CHECK(f.client->lines[0] == R"({"id":7,"ok":true,"result":{"cmd":"status"}})");
    CHECK(f.handler.calls == 1);
    CHECK(f.handler.requests.at(0) == protocol::Request{7, protocol::Status{}});
    CHECK(f.client->connect_cb_called == 1);
    CHECK(f.client->write_cb_called == 1);
    CHECK(f.client->write_errors == 0);
    CHECK(f.client->eof_cb_called == 0);
    f.finish();
}

TEST_CASE("control connection: requests in one write, and one request in pieces") {
    Fixture f;
    f.client->send(R"({"v":1,"id":1,"cmd":"version"})" "\n"
                   R"({"v":1,"id":2,"cmd":"stop","args":{"target":"api#0"}})" "\n");
    f.client->send(R"({"v":1,"id":3,)");
    f.client->send(R"("cmd":"reload"})" "\n");
    REQUIRE(f.lines(3));

    CHECK(f.client->lines == std::vector<std::string>{R"({"id":1,"ok":true,"result":{"cmd":"version"}})",
                                                      R"({"id":2,"ok":true,"result":{"cmd":"stop"}})",
                                                      R"({"id":3,"ok":true,"result":{"cmd":"reload"}})"});
    CHECK(f.handler.calls == 3);
    CHECK(f.handler.requests.at(1).command == protocol::Command{protocol::Stop{protocol::Target{"api", 0u}}});
    CHECK(f.client->write_cb_called == 3);
    f.finish();
}

TEST_CASE("control connection: progress lines before a reply, and the handler hears of the close once") {
    Fixture f;
    f.client->send(R"({"v":1,"id":4,"cmd":"restart","args":{"target":"api","wait":true}})" "\n");
    REQUIRE(f.lines(3));
    CHECK(f.client->lines == std::vector<std::string>{R"({"id":4,"event":{"step":1}})", R"({"id":4,"event":{"step":2}})",
                                                      R"({"id":4,"ok":true,"result":{"cmd":"restart"}})"});
    CHECK(f.server.followers().followers() == 0);  // progress is no follower's stream
    CHECK(f.handler.closed == 0);
    f.client->close();
    REQUIRE(f.run_until([&] { return f.server.client_count() == 0; }));
    CHECK(f.handler.closed == 1);
    f.server.close();  // closes it again: not told twice
    CHECK(f.handler.closed == 1);
    CHECK(f.loop.close() == 0);
}

TEST_CASE("control connection: a bad line gets the protocol's error with its id and the connection stays") {
    Fixture f;
    f.client->send(R"({"v":1,"id":9,"cmd":"stpo"})" "\n");
    f.client->send(R"({"v":1,"id":10,"cmd":"stop","args":{"target":"a/b"}})" "\n");
    f.client->send("not json\n");
    f.client->send(R"({"v":1,"id":11,"cmd":"status"})" "\n");
    REQUIRE(f.lines(4));

    CHECK(f.client->lines[0] == R"x({"id":9,"ok":false,"error":{"code":"unknown_command",)x"
                                R"x("message":"unknown command \"stpo\" (did you mean \"stop\"?)"}})x");
    CHECK(line(*f.client, 1)["id"] == 10);
    CHECK(line(*f.client, 1)["error"]["code"] == "bad_args");
    CHECK(line(*f.client, 2)["id"] == nullptr);
    CHECK(line(*f.client, 2)["error"]["code"] == "bad_json");
    CHECK(line(*f.client, 3)["id"] == 11);
    CHECK(line(*f.client, 3)["ok"] == true);
    CHECK(f.handler.calls == 1);  // the good request only
    CHECK(f.client->eof_cb_called == 0);
    CHECK(f.server.client_count() == 1);
    f.finish();
}

TEST_CASE("control connection: a line longer than the limit gets too_large and the connection closes") {
    Fixture f;
    f.client->send(std::string(protocol::kMaxRequestBytes + 1, 'x'));
    REQUIRE(f.run_until([&] { return f.client->eof_cb_called == 1; }));

    REQUIRE(f.client->lines.size() == 1);
    CHECK(f.client->lines[0] ==
          R"({"id":null,"ok":false,"error":{"code":"too_large","message":"request longer than 1048576 bytes"}})");
    CHECK(f.client->partial.empty());
    CHECK(f.client->write_cb_called == 1);
    CHECK(f.client->write_errors == 0);
    CHECK(f.handler.calls == 0);
    CHECK(f.server.client_count() == 0);
    f.finish();
}

namespace {

// Subscribes the client to events, stops it reading, and sends events of `size` bytes until the connection
// gives up on it; how many events were sent before the one that found the client too slow.
int flood_until_slow(Fixture& f, std::size_t size) {
    f.client->send(R"({"v":1,"id":5,"cmd":"events"})" "\n");
    REQUIRE(f.lines(1));
    f.client->stop_reading();
    const json event = {{"line", std::string(size, 'e')}};
    int written = 0;
    bool slow = false;
    while (!slow && written < 1000) {
        f.server.for_each_client([&](ControlConnection& client) {
            client.event(event);
            slow = !client.subscription().has_value();
        });
        written += slow ? 0 : 1;
        uv_run(f.loop.get(), UV_RUN_NOWAIT);
    }
    REQUIRE(slow);
    // No more events for it: nothing is sent to a client without a subscription.
    f.server.for_each_client([&](ControlConnection& client) { client.event(event); });
    return written;
}

}  // namespace

TEST_CASE("control connection: a follower that does not read gets slow_client after what it was sent") {
    Fixture f;
    const int written = flood_until_slow(f, 64 * 1024);
    CHECK(written > 16);  // more than its share (a lone follower's: the cap, 1 MiB) went out or waited
    f.client->start_reading();
    REQUIRE(f.run_until([&] { return f.client->eof_cb_called == 1; }));

    REQUIRE(f.client->lines.size() == static_cast<std::size_t>(1 + written + 1));
    for (int i = 1; i <= written; ++i) CHECK(line(*f.client, static_cast<std::size_t>(i))["id"] == 5);
    const json last = line(*f.client, f.client->lines.size() - 1);
    CHECK(last["id"] == 5);
    CHECK(last["ok"] == false);
    CHECK(last["error"]["code"] == "slow_client");
    CHECK(f.handler.calls == 1);
    CHECK(f.server.client_count() == 0);
    f.finish();
}

TEST_CASE("control connection: a follower that never reads again is closed after the grace period") {
    Fixture f;
    flood_until_slow(f, 64 * 1024);
    REQUIRE(f.run_until([&] { return f.server.client_count() == 0; }));
    CHECK(f.client->eof_cb_called == 0);  // it never read
    CHECK(f.handler.calls == 1);
    f.finish();
}

TEST_CASE("control connection: followers share one budget - the stalled one is cut and the reader gets everything") {
    test::TempDir dir;
    test::Loop loop;
    CountingHandler handler;
    // 256 KiB for all: with two followers, a share of 128 KiB each.
    ControlServer server{loop.get(), handler, policies::FollowerLimits{256 << 10, 16 << 10, 1 << 20}};
    REQUIRE(server.listen(dir / "corral.sock"));
    LoopClient reader(loop.get(), dir / "corral.sock");
    LoopClient stalled(loop.get(), dir / "corral.sock");
    const auto run_until = [&](const std::function<bool()>& done) { return test::run_until(loop.get(), done, 10s); };
    REQUIRE(run_until([&] { return reader.connected() && stalled.connected() && server.client_count() == 2; }));
    reader.send(R"({"v":1,"id":1,"cmd":"events"})" "\n");
    stalled.send(R"({"v":1,"id":2,"cmd":"events"})" "\n");
    REQUIRE(run_until([&] { return reader.lines.size() == 1 && stalled.lines.size() == 1; }));
    stalled.stop_reading();
    CHECK(server.followers().followers() == 2);
    CHECK(server.followers().share() == 128 << 10);

    const json event = {{"line", std::string(4096, 'e')}};
    int sent = 0;
    for (; sent < 400; ++sent) {  // 1.6 MiB: far more than a share
        server.for_each_client([&](ControlConnection& client) { client.event(event); });
        uv_run(loop.get(), UV_RUN_NOWAIT);
    }
    REQUIRE(run_until([&] { return reader.lines.size() == static_cast<std::size_t>(1 + sent); }));
    CHECK(server.followers().followers() == 1);  // the stalled one was cut
    CHECK(server.followers().held() <= server.followers().share());
    for (std::size_t i = 1; i < reader.lines.size(); ++i) CHECK(json::parse(reader.lines[i])["id"] == 1);

    // Once read, the stalled one finds slow_client after what was queued for it, and the end.
    stalled.start_reading();
    REQUIRE(run_until([&] { return stalled.eof_cb_called == 1; }));
    const json last = json::parse(stalled.lines.back());
    CHECK(last["error"]["code"] == "slow_client");
    CHECK(stalled.lines.size() < static_cast<std::size_t>(sent));

    reader.close();
    REQUIRE(run_until([&] { return server.client_count() == 0; }));
    CHECK(server.followers().followers() == 0);
    CHECK(server.followers().held() == 0);
    stalled.close();
    server.close();
    CHECK(loop.close() == 0);
}
