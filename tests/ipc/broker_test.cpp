// The broker on a real libuv loop, in the style of libuv's own tests: every instance is attached through a
// real socketpair whose other end the test holds as Node would, writing JSON lines to it and reading what
// the broker delivers, never blocking, between turns of the loop. Each case counts what arrived and what
// the broker counted, then closes the broker, runs the loop empty and asserts that nothing was left open.
#include "ipc/broker.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using namespace std::chrono_literals;
using corral::UniqueFd;
using corral::ipc::Broker;
using corral::ipc::BrokerConfig;
using corral::ipc::Overflow;
using corral::ipc::RouteConfig;
using corral::ipc::SenderBacklog;
using corral::ipc::Serialization;
using corral::test::Loop;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

// The instance's end of one channel, as the Node process holds it. What the test sends waits in `outbox`
// until the socket takes it; what arrives is split into lines.
struct NodeEnd {
    UniqueFd fd;
    corral::ipc::ChannelId id = 0;
    bool reads = true;  // a receiver that does not read leaves its socket alone
    bool eof = false;   // the broker closed its end
    std::string outbox;
    std::size_t outbox_sent = 0;
    std::string inbox;                  // the start of a line not yet complete
    std::vector<std::string> messages;  // whole lines, without their "\n", in order

    void send(std::string_view message) {
        outbox += message;
        outbox += '\n';
    }
    void send_bytes(std::string_view bytes) { outbox += bytes; }

    // Moves what it can both ways without blocking; true when anything moved.
    bool pump() {
        bool moved = false;
        while (outbox_sent < outbox.size()) {
            const ssize_t n = ::send(fd.get(), outbox.data() + outbox_sent, outbox.size() - outbox_sent,
                                     MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n <= 0) break;  // full: the broker has not read yet
            outbox_sent += static_cast<std::size_t>(n);
            moved = true;
        }
        if (outbox_sent == outbox.size()) {
            outbox.clear();
            outbox_sent = 0;
        }
        while (reads && !eof) {
            char buffer[64 * 1024];
            const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
            if (n == 0) eof = true;
            if (n <= 0) break;
            inbox.append(buffer, static_cast<std::size_t>(n));
            moved = true;
        }
        for (std::size_t newline; (newline = inbox.find('\n')) != std::string::npos;) {
            messages.push_back(inbox.substr(0, newline));
            inbox.erase(0, newline + 1);
        }
        return moved;
    }
};

// A broker on its own loop, with a spill directory of its own and the Node ends of the instances attached.
struct Harness {
    Loop loop;
    TempDir spill;
    std::unique_ptr<Broker> broker;
    std::map<std::string, NodeEnd> ends;  // "b#0"

    // `spill_dir`: another harness's, to play the next daemon on the same state directory.
    explicit Harness(BrokerConfig config, const fs::path& spill_dir = {}) {
        config.spill_dir = spill_dir.empty() ? spill.path() / "spill" : spill_dir;
        broker = std::make_unique<Broker>(loop.get(), std::move(config));
    }

    // `send_buffer`: the socket buffer of the broker's end (0: the kernel's default); a small one makes a
    // receiver that does not read fill up after a few kilobytes.
    NodeEnd& attach(const std::string& service, unsigned index, int send_buffer = 0, corral::ipc::AttachOptions options = {}) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        if (send_buffer > 0) {
            REQUIRE(::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer) == 0);
        }
        NodeEnd& end = ends[service + "#" + std::to_string(index)];
        end = NodeEnd{};
        end.fd.reset(fds[1]);
        end.id = broker->attach(service, index, Serialization::json, fds[0], 0, std::move(options));
        return end;
    }

    void detach(const std::string& service, unsigned index) {
        broker->detach(service, index, ends[service + "#" + std::to_string(index)].id);
    }

    // Turns the loop, moving the Node ends' bytes between turns, until `done` holds or `timeout` passes.
    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            for (auto& [name, end] : ends) end.pump();
            if (done()) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            uv_run(loop.get(), UV_RUN_NOWAIT);
            wait_for_io();
        }
    }
    // A few turns for something that must not happen (a held receiver gets nothing).
    void turns(int count) {
        for (int i = 0; i < count; ++i) {
            for (auto& [name, end] : ends) end.pump();
            uv_run(loop.get(), UV_RUN_NOWAIT);
        }
        for (auto& [name, end] : ends) end.pump();
    }

    // Closes the broker and runs the loop empty: uv_loop_close()'s result, 0 when nothing was left open.
    int finish() {
        broker->close();
        broker.reset();
        return loop.close();
    }

    nlohmann::json destination(const std::string& from, const std::string& to, unsigned index) const {
        const nlohmann::json stats = broker->stats();
        for (const auto& route : stats["routes"]) {
            if (route["from"] != from || route["to"] != to) continue;
            for (const auto& queue : route["destinations"]) {
                if (queue["instance"] == to + "#" + std::to_string(index)) return queue;
            }
        }
        FAIL("no queue " << from << " -> " << to << "#" << index);
        return {};
    }
    nlohmann::json route(const std::string& from, const std::string& to) const {
        const nlohmann::json stats = broker->stats();
        for (const auto& route : stats["routes"]) {
            if (route["from"] == from && route["to"] == to) return route;
        }
        FAIL("no route " << from << " -> " << to);
        return {};
    }
    nlohmann::json channel(const std::string& instance) const {
        const nlohmann::json stats = broker->stats();
        for (const auto& channel : stats["channels"]) {
            if (channel["instance"] == instance) return channel;
        }
        FAIL("no channel of " << instance);
        return {};
    }
    std::uint64_t read_from(const std::string& service, unsigned index) const {
        const auto sent = broker->sent(service, index);
        return sent ? sent->first : 0;
    }

private:
    // Sleeps until the loop or a Node end has something to do, or the loop's next timer is due (10 ms at
    // most: a Node end's socket that the broker drains wakes nothing here).
    void wait_for_io() {
        std::vector<pollfd> fds{{uv_backend_fd(loop.get()), POLLIN, 0}};
        for (auto& [name, end] : ends) {
            short events = 0;
            if (end.reads && !end.eof) events |= POLLIN;
            if (!end.outbox.empty()) events |= POLLOUT;
            if (events != 0) fds.push_back({end.fd.get(), events, 0});
        }
        const int timeout = uv_backend_timeout(loop.get());
        ::poll(fds.data(), fds.size(), timeout < 0 ? 10 : std::min(timeout, 10));
    }
};

RouteConfig route(const std::string& from, const std::string& to) {
    RouteConfig config;
    config.from = from;
    config.to = to;
    return config;
}

BrokerConfig config_of(std::vector<RouteConfig> routes, std::map<std::string, unsigned> instances) {
    BrokerConfig config;
    config.routes = std::move(routes);
    config.instances = std::move(instances);
    return config;
}

// One instance of a sending to one instance of b.
BrokerConfig a_to_b() { return config_of({route("a", "b")}, {{"a", 1}, {"b", 1}}); }

std::string message(int number, std::size_t size = 0) {
    std::string text = R"({"n":)" + std::to_string(number) + R"(,"pad":")";
    text.append(size > text.size() + 2 ? size - text.size() - 2 : 0, 'x');
    return text + "\"}";
}

// `messages` are message(first) .. message(first + count - 1), each of `size`, in order.
bool in_order(const std::vector<std::string>& messages, int first, int count, std::size_t size = 0) {
    if (messages.size() != static_cast<std::size_t>(count)) return false;
    for (int i = 0; i < count; ++i) {
        if (messages[static_cast<std::size_t>(i)] != message(first + i, size)) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("broker: a message from one instance reaches the other whole and in order") {
    Harness h(a_to_b());
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b = h.attach("b", 0);

    // Half a frame is held until its newline arrives: nothing of it reaches the receiver.
    const std::string first = message(0) + "\n";
    a.send_bytes(first.substr(0, 5));
    REQUIRE(h.run_until([&] { return h.broker->sent("a", 0)->second == 5; }));
    h.turns(5);
    CHECK(h.read_from("a", 0) == 0);
    CHECK(b.messages.empty());
    CHECK(b.inbox.empty());

    a.send_bytes(first.substr(5));
    constexpr int kCount = 1000;
    std::uint64_t bytes = first.size();
    for (int i = 1; i < kCount; ++i) {
        a.send(message(i, 100));
        bytes += message(i, 100).size() + 1;
    }
    REQUIRE(h.run_until([&] { return b.messages.size() >= kCount; }));
    h.turns(5);
    REQUIRE(b.messages.size() == kCount);
    CHECK(b.messages[0] == message(0));
    CHECK(in_order(std::vector<std::string>(b.messages.begin() + 1, b.messages.end()), 1, kCount - 1, 100));
    CHECK(b.inbox.empty());

    CHECK(h.broker->sent("a", 0) == std::pair<std::uint64_t, std::uint64_t>{kCount, bytes});
    const auto queue = h.destination("a", "b", 0);
    CHECK(queue["received"] == kCount);
    CHECK(queue["delivered"] == kCount);
    CHECK(queue["dropped"] == 0);
    CHECK(queue["spilled"] == 0);
    CHECK(queue["queued_messages"] == 0);
    const auto sender = h.channel("a#0");
    CHECK(sender["messages"] == kCount);
    CHECK(sender["malformed"] == 0);
    CHECK(sender["unrouted"] == 0);
    CHECK(a.messages.empty());  // nothing routes back to the sender
    CHECK(h.finish() == 0);
}

TEST_CASE("broker: a malformed or oversized frame is never forwarded, and is counted") {
    BrokerConfig config = a_to_b();
    config.max_message = 256;
    Harness h(std::move(config));
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b = h.attach("b", 0);

    a.send(message(0));
    a.send(R"({"n":)");                        // cut short
    a.send(R"({"s":")" "\xff" R"("})");        // not UTF-8
    a.send(message(1));
    a.send(R"({"cmd":"NODE_HANDLE_ACK"})");  // Node's own: never crosses to another process
    a.send(R"({"n":2} {"n":3})");             // two values on one line
    a.send(message(2));
    REQUIRE(h.run_until([&] { return h.read_from("a", 0) == 7; }));
    // Longer than max_message, in pieces across reads: skipped up to its newline.
    const std::string huge = message(99, 1000) + "\n";
    for (std::size_t at = 0; at < huge.size(); at += 300) {
        const std::uint64_t before = h.broker->sent("a", 0)->second;
        const std::string piece = huge.substr(at, 300);
        a.send_bytes(piece);
        REQUIRE(h.run_until([&] { return h.broker->sent("a", 0)->second == before + piece.size(); }));
    }
    a.send(message(3));
    REQUIRE(h.run_until([&] { return b.messages.size() >= 4; }));
    h.turns(5);

    CHECK(in_order(b.messages, 0, 4));
    CHECK(b.inbox.empty());
    const auto sender = h.channel("a#0");
    CHECK(sender["messages"] == 8);   // frames read whole; the oversized one never was
    CHECK(sender["malformed"] == 4);  // three invalid texts, one oversized
    CHECK(sender["internal"] == 1);
    CHECK(sender["unrouted"] == 0);
    const auto queue = h.destination("a", "b", 0);
    CHECK(queue["received"] == 4);
    CHECK(queue["delivered"] == 4);
    CHECK(h.finish() == 0);
}

TEST_CASE("broker: a receiver that does not read makes its queue spill, and gets everything in order once it reads") {
    BrokerConfig config = a_to_b();
    config.routes[0].queue.max_bytes = 16 << 10;
    config.routes[0].queue.max_messages = 1000;
    config.routes[0].queue.overflow = Overflow::spill;
    Harness h(std::move(config));
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b = h.attach("b", 0, 4096);
    b.reads = false;

    constexpr int kCount = 2000;
    constexpr std::size_t kSize = 256;
    for (int i = 0; i < kCount; ++i) a.send(message(i, kSize));
    REQUIRE(h.run_until([&] { return h.read_from("a", 0) == kCount; }));
    h.turns(5);

    // Read eagerly all the same: what the receiver's socket could not take waits in the journal.
    const fs::path journal = h.spill.path() / "spill" / "a-to-b-0.journal";
    auto queue = h.destination("a", "b", 0);
    CHECK(queue["received"] == kCount);
    CHECK(queue["spilled"] > 0);
    CHECK(queue["spilled_bytes"] > 0);
    CHECK(queue["queued_messages"] > 0);
    CHECK(queue["delivered"].get<std::uint64_t>() + queue["queued_messages"].get<std::uint64_t>() == kCount);
    CHECK(queue["dropped"] == 0);
    CHECK(queue["blocked"] == false);
    CHECK(fs::exists(journal));
    CHECK(h.channel("a#0")["reading"] == true);
    CHECK(b.messages.empty());

    b.reads = true;
    REQUIRE(h.run_until([&] { return b.messages.size() >= kCount; }));
    h.turns(5);
    CHECK(in_order(b.messages, 0, kCount, kSize));
    queue = h.destination("a", "b", 0);
    CHECK(queue["delivered"] == kCount);
    CHECK(queue["queued_messages"] == 0);
    CHECK(queue["spilled_bytes"] == 0);
    CHECK(queue["dropped"] == 0);
    CHECK(h.finish() == 0);
    CHECK_FALSE(fs::exists(journal));  // unlinked with its queue
}

TEST_CASE("broker: a held receiver gets nothing until released, then everything that waited") {
    Harness h(a_to_b());
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b = h.attach("b", 0);
    h.broker->hold("b", 0, /*receive=*/true, /*send=*/false);

    constexpr int kCount = 100;
    for (int i = 0; i < kCount; ++i) a.send(message(i));
    REQUIRE(h.run_until([&] { return h.read_from("a", 0) == kCount; }));
    h.turns(20);
    CHECK(b.messages.empty());
    CHECK(h.destination("a", "b", 0)["queued_messages"] == kCount);
    CHECK(h.channel("b#0")["held"] == true);

    h.broker->hold("b", 0, false, false);
    REQUIRE(h.run_until([&] { return b.messages.size() >= kCount; }));
    h.turns(5);
    CHECK(in_order(b.messages, 0, kCount));
    CHECK(h.destination("a", "b", 0)["queued_messages"] == 0);
    CHECK(h.channel("b#0")["held"] == false);
    CHECK(h.finish() == 0);
}

TEST_CASE("broker: a held sender is not read until released") {
    Harness h(a_to_b());
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b = h.attach("b", 0);
    h.broker->hold("a", 0, /*receive=*/false, /*send=*/true);

    constexpr int kCount = 50;
    for (int i = 0; i < kCount; ++i) a.send(message(i));
    h.turns(20);
    CHECK(h.broker->sent("a", 0)->second == 0);
    CHECK(h.channel("a#0")["reading"] == false);
    CHECK(b.messages.empty());

    h.broker->hold("a", 0, false, false);
    REQUIRE(h.run_until([&] { return b.messages.size() >= kCount; }));
    h.turns(5);
    CHECK(in_order(b.messages, 0, kCount));
    CHECK(h.read_from("a", 0) == kCount);
    CHECK(h.finish() == 0);
}

TEST_CASE("broker: a detached receiver's channel closes, and what is sent meanwhile waits for its next channel") {
    Harness h(a_to_b());
    NodeEnd& a = h.attach("a", 0);
    NodeEnd* b = &h.attach("b", 0);
    for (int i = 0; i < 5; ++i) a.send(message(i));
    REQUIRE(h.run_until([&] { return b->messages.size() >= 5; }));
    CHECK(in_order(b->messages, 0, 5));

    h.detach("b", 0);
    REQUIRE(h.run_until([&] { return b->eof; }));
    CHECK_FALSE(h.broker->sent("b", 0).has_value());
    h.detach("b", 0);  // twice is nothing

    for (int i = 5; i < 10; ++i) a.send(message(i));
    REQUIRE(h.run_until([&] { return h.read_from("a", 0) == 10; }));
    h.turns(5);
    CHECK(h.destination("a", "b", 0)["queued_messages"] == 5);

    b = &h.attach("b", 0);  // the instance restarted
    REQUIRE(h.run_until([&] { return b->messages.size() >= 5; }));
    h.turns(5);
    CHECK(in_order(b->messages, 5, 5));
    CHECK(h.destination("a", "b", 0)["delivered"] == 10);

    h.detach("a", 0);
    h.detach("b", 0);
    REQUIRE(h.run_until([&] { return h.ends["a#0"].eof && b->eof; }));
    CHECK(h.finish() == 0);
}

TEST_CASE("broker: \"$to\" picks the route and the instance, and what it cannot place is dropped and counted") {
    Harness h(config_of({route("a", "b"), route("a", "c")}, {{"a", 1}, {"b", 2}, {"c", 1}}));
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b0 = h.attach("b", 0);
    NodeEnd& b1 = h.attach("b", 1);
    NodeEnd& c = h.attach("c", 0);

    a.send(R"({"$to":"b#1","n":0})");
    a.send(R"({"$to":"c","n":1})");
    a.send(R"({"n":2})");               // several routes and no "$to"
    a.send(R"({"$to":"d","n":3})");     // not a route of a's
    a.send(R"({"$to":"b#x","n":4})");   // not an instance number
    a.send(R"({"$to":"b#5","n":5})");   // no such instance
    a.send(R"({"$to":"b#1","n":6})");
    REQUIRE(h.run_until([&] { return h.read_from("a", 0) == 7 && b1.messages.size() >= 2 && c.messages.size() >= 1; }));
    h.turns(5);

    CHECK(b0.messages.empty());
    CHECK(b1.messages == std::vector<std::string>{R"({"$to":"b#1","n":0})", R"({"$to":"b#1","n":6})"});
    CHECK(c.messages == std::vector<std::string>{R"({"$to":"c","n":1})"});
    CHECK(h.channel("a#0")["unrouted"] == 3);
    CHECK(h.route("a", "b")["unaddressable"] == 1);
    CHECK(h.finish() == 0);
}

TEST_CASE("broker: a route to several instances deals its messages in turn, or copies each to all") {
    std::vector<RouteConfig> routes{route("a", "b"), route("s", "c")};
    routes[1].broadcast = true;
    Harness h(config_of(std::move(routes), {{"a", 1}, {"s", 1}, {"b", 2}, {"c", 2}}));
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& s = h.attach("s", 0);
    NodeEnd& b0 = h.attach("b", 0);
    NodeEnd& b1 = h.attach("b", 1);
    NodeEnd& c0 = h.attach("c", 0);
    NodeEnd& c1 = h.attach("c", 1);

    for (int i = 0; i < 10; ++i) a.send(message(i));
    for (int i = 0; i < 3; ++i) s.send(message(i));
    REQUIRE(h.run_until([&] {
        return b0.messages.size() + b1.messages.size() >= 10 && c0.messages.size() >= 3 && c1.messages.size() >= 3;
    }));
    h.turns(5);

    CHECK(b0.messages.size() == 5);
    CHECK(b1.messages.size() == 5);
    CHECK(in_order(c0.messages, 0, 3));
    CHECK(in_order(c1.messages, 0, 3));
    CHECK(h.route("a", "b")["delivery"] == "round-robin");
    CHECK(h.route("s", "c")["delivery"] == "broadcast");
    CHECK(h.destination("s", "c", 0)["delivered"] == 3);
    CHECK(h.destination("s", "c", 1)["delivered"] == 3);
    CHECK(h.finish() == 0);
}

TEST_CASE("broker: at shutdown it reads no sender, delivers while the receiver reads, then persists the rest for the next") {
    BrokerConfig config = a_to_b();
    config.routes[0].queue.max_messages = 100;  // a memory part, then the journal
    Harness h(config);
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b = h.attach("b", 0, 4096);
    b.reads = false;
    constexpr int kCount = 1000;
    constexpr std::size_t kSize = 200;
    for (int i = 0; i < kCount; ++i) a.send(message(i, kSize));
    REQUIRE(h.run_until([&] { return h.read_from("a", 0) == kCount; }));

    h.broker->begin_drain();
    CHECK(h.channel("a#0")["reading"] == false);
    for (int i = kCount; i < kCount + 10; ++i) a.send(message(i, kSize));  // never read now
    CHECK_FALSE(h.broker->drained());
    b.reads = true;
    REQUIRE(h.run_until([&] { return b.messages.size() >= 300; }));
    h.broker->stop_delivering();  // the drain timeout: nothing more is written, what was is read
    REQUIRE(h.run_until([&] { return h.broker->drained(); }));
    const auto got = static_cast<int>(b.messages.size());
    CHECK(got < kCount);
    h.broker->persist();
    h.turns(10);
    CHECK(static_cast<int>(b.messages.size()) == got);  // nothing more once persisted
    CHECK(h.read_from("a", 0) == kCount);
    const auto queue = h.destination("a", "b", 0);
    CHECK(queue["persisted"] == kCount - got);
    const fs::path dir = h.spill.path() / "spill";
    CHECK(h.finish() == 0);
    REQUIRE(fs::exists(dir / "a-to-b-0.journal"));

    // The next broker on the same directory replays it, in order, before anything new.
    Harness next(a_to_b(), dir);
    NodeEnd& a2 = next.attach("a", 0);
    a2.send(message(kCount + 100, kSize));
    NodeEnd& b2 = next.attach("b", 0);
    REQUIRE(next.run_until([&] { return static_cast<int>(b2.messages.size()) == kCount - got + 1; }));
    CHECK(in_order(std::vector<std::string>(b2.messages.begin(), b2.messages.end() - 1), got, kCount - got, kSize));
    CHECK(b2.messages.back() == message(kCount + 100, kSize));
    const auto replayed = next.destination("a", "b", 0);
    CHECK(replayed["replayed"] == kCount - got);
    CHECK(replayed["lost"] == 0);
    CHECK(next.finish() == 0);
    CHECK_FALSE(fs::exists(dir / "a-to-b-0.journal"));  // drained: removed with its queue
}

TEST_CASE("broker: a journal of a route that is not configured stays on disk untouched") {
    TempDir state;
    const fs::path dir = state.path() / "spill";
    fs::create_directories(dir);
    const std::string bytes = "corralj2 and whatever an earlier daemon wrote";
    state.write("spill/gone-to-b-0.journal", bytes);
    Harness h(a_to_b(), dir);
    h.attach("a", 0);
    h.attach("b", 0);
    h.turns(3);
    CHECK(h.finish() == 0);
    REQUIRE(fs::exists(dir / "gone-to-b-0.journal"));
    CHECK(fs::file_size(dir / "gone-to-b-0.journal") == bytes.size());
}

TEST_CASE("broker: a sender its routes stop reading is reported behind at once, and after reads again") {
    BrokerConfig config = a_to_b();
    config.routes[0].queue.max_bytes = 16 << 10;
    config.routes[0].queue.max_messages = 1000;
    config.routes[0].queue.overflow = Overflow::block;
    Harness h(std::move(config));
    NodeEnd& a = h.attach("a", 0);
    NodeEnd& b = h.attach("b", 0, 4096);
    b.reads = false;
    std::vector<std::size_t> reports;
    int while_paused = 0;  // reports made when its reading had stopped
    h.broker->watch_unread("a", 0, [&](const SenderBacklog& backlog) {
        reports.push_back(backlog.behind);
        if (!backlog.read) {
            ++while_paused;
            CHECK(h.channel("a#0")["reading"] == false);
        }
    });

    // The receiver reads nothing: the queue fills and blocks the sender, whose reading stops; what it
    // sends after that waits in its socket, and the report of the moment reading stopped says so.
    constexpr std::size_t kSize = 1024;
    for (int i = 0; i < 400; ++i) a.send(message(i, kSize));
    REQUIRE(h.run_until([&] { return h.channel("a#0")["reading"] == false; }));
    CHECK(while_paused == 1);
    const std::size_t at_pause = reports.size();
    for (int i = 400; i < 800; ++i) a.send(message(i, kSize));
    h.turns(20);
    CHECK(reports.size() == at_pause);  // not read, not sampled: the report came with the pause
    const auto paused = h.broker->backlog_of("a", 0);
    REQUIRE(paused);
    CHECK(paused->behind > 100 * kSize);
    CHECK(paused->channel.unread == paused->behind);  // nothing spilled
    CHECK(paused->channel.frame_size > kSize);
    CHECK(paused->channel.frame_size < 2 * kSize);
    CHECK_FALSE(paused->read);

    // Read again once the receiver drains the queue: samples come with the reads.
    b.reads = true;
    REQUIRE(h.run_until([&] { return b.messages.size() >= 800; }));
    CHECK(in_order(b.messages, 0, 800, kSize));
    CHECK(reports.size() > at_pause);
    CHECK(h.broker->backlog_of("a", 0)->behind == 0);
    CHECK(h.broker->backlog_of("a", 0)->read);
    h.broker->watch_unread("a", 0, {});
    CHECK(h.finish() == 0);
}
