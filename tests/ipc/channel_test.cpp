// The daemon's end of a Node IPC channel on a real socketpair and a real libuv loop: the test writes what
// a Node sender would (one small message per write) and watches how the channel reads it. A sender that
// streams is read on ticks with every frame in order; a write to the channel, or a stream too heavy for
// its share of the sender's buffer, keeps it on wake-ups; a sender that goes away while paced is noticed.
#include "ipc/channel.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "tests/support/uv_loop.hpp"

using namespace std::chrono_literals;
using corral::ipc::Channel;
using corral::ipc::Serialization;
using corral::policies::ReadPacing;
using corral::UniqueFd;
using corral::test::Loop;
using corral::test::run_until;

namespace {

constexpr std::size_t kSenderBuffer = 32 << 20;

// A channel whose other end the test writes and reads as the instance would.
struct Pair {
    Loop loop;
    UniqueFd theirs;
    std::vector<std::string> received;  // payloads, in order
    bool closed = false;
    std::unique_ptr<Channel> channel;

    explicit Pair(std::size_t sender_buffer) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        theirs.reset(fds[1]);
        Channel::Events events;
        events.frame = [this](Channel&, std::string_view, std::string_view payload) {
            received.emplace_back(payload);
        };
        events.frame_error = [](Channel&, corral::ipc::FrameError, std::size_t) {};
        events.writable = [](Channel&) {};
        events.closed = [this](Channel&) { closed = true; };
        channel = std::make_unique<Channel>(loop.get(), fds[0], "sender#0", Serialization::json, 1 << 20,
                                            sender_buffer, std::move(events));
    }
    ~Pair() {
        channel.reset();
        loop.close();
    }

    void send(const std::string& bytes) {
        REQUIRE(::write(theirs.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    }
    // Sends one message and lets the loop read it, as a broker woken by each send() of a Node sender is.
    void send_and_read(const std::string& message) {
        const std::size_t before = received.size();
        send(message + "\n");
        REQUIRE(run_until(loop.get(), [&] { return received.size() > before; }, 5s));
    }
    // Streams numbered messages of `size` bytes, one per wake-up, until the channel is paced or
    // `at_most` were sent; returns how many were sent.
    int stream_until_paced(int first, int at_most, std::size_t size = 0) {
        int sent = 0;
        while (!channel->paced() && sent < at_most) send_and_read(message(first + sent++, size));
        return sent;
    }
    std::string read_theirs() {
        char buffer[4096];
        const ssize_t n = ::recv(theirs.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }

    static std::string message(int number, std::size_t size = 0) {
        std::string text = R"({"n":)" + std::to_string(number) + R"(,"pad":")";
        text.append(size > text.size() ? size - text.size() : 0, 'x');
        return text + "\"}";
    }
};

bool in_order(const std::vector<std::string>& received, int count) {
    if (received.size() != static_cast<std::size_t>(count)) return false;
    for (int i = 0; i < count; ++i) {
        if (received[static_cast<std::size_t>(i)].rfind(R"({"n":)" + std::to_string(i) + ",", 0) != 0) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("channel: a sender that streams is read on ticks with every frame in order") {
    Pair pair(kSenderBuffer);
    // Reads more than a tick apart (a busy test machine) restart the streak: the bound is generous.
    const int streamed = pair.stream_until_paced(0, 20000);
    REQUIRE(pair.channel->paced());
    CHECK(streamed >= static_cast<int>(ReadPacing::kStreak));
    const auto wakeups = pair.channel->wakeup_reads;

    // What the sender writes now waits for the next tick, which takes it all at once.
    std::string burst;
    for (int i = streamed; i < streamed + 200; ++i) burst += Pair::message(i) + "\n";
    pair.send(burst);
    REQUIRE(run_until(pair.loop.get(), [&] { return pair.received.size() == static_cast<std::size_t>(streamed + 200); }, 5s));
    CHECK(in_order(pair.received, streamed + 200));
    CHECK(pair.channel->paced_reads >= 1);
    CHECK(pair.channel->wakeup_reads == wakeups);
}

TEST_CASE("channel: a write to a paced channel reads it on wake-ups again") {
    Pair pair(kSenderBuffer);
    const int streamed = pair.stream_until_paced(0, 20000);
    REQUIRE(pair.channel->paced());

    pair.channel->write("{\"answer\":1}\n");
    CHECK_FALSE(pair.channel->paced());
    CHECK(pair.read_theirs() == "{\"answer\":1}\n");
    // The answer to it is read on the wake-up it causes, not on a tick.
    const auto ticks = pair.channel->paced_reads;
    pair.send_and_read(Pair::message(streamed));
    CHECK(pair.channel->paced_reads == ticks);
    CHECK(in_order(pair.received, streamed + 1));
}

TEST_CASE("channel: a stream heavier than its share of the sender's buffer is read on wake-ups") {
    // Budget: 64 KiB / 32 = 2 KiB per tick. Each read carries one 4 KiB message, a tick apart at most.
    Pair pair(64 << 10);
    CHECK(pair.stream_until_paced(0, 500, 4096) == 500);
    CHECK_FALSE(pair.channel->paced());
    CHECK(pair.channel->paced_reads == 0);
    CHECK(in_order(pair.received, 500));
}

TEST_CASE("channel: without a known sender buffer a channel is never paced") {
    Pair pair(0);
    CHECK(pair.stream_until_paced(0, 500) == 500);
    CHECK(pair.channel->paced_reads == 0);
    CHECK(pair.channel->wakeup_reads == 500);
}

TEST_CASE("channel: a sender that goes away while paced is noticed on the next tick") {
    Pair pair(kSenderBuffer);
    const int streamed = pair.stream_until_paced(0, 20000);
    REQUIRE(pair.channel->paced());
    pair.send(Pair::message(streamed) + "\n");
    pair.theirs.reset();
    REQUIRE(run_until(pair.loop.get(), [&] { return pair.closed; }, 5s));
    CHECK(in_order(pair.received, streamed + 1));
    CHECK_FALSE(pair.channel->open());
}
