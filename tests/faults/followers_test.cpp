// Faults: 200 `logs --follow` clients that do not keep up (190 send their request and never read, 10 read
// slower than the stream), beside one that reads. The stalled ones are cut with slow_client once their share of the follower budget waits for them; the
// daemon's memory stays bounded meanwhile and comes back once they are gone; the reader misses nothing.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <thread>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

constexpr int kStalled = 200;  // followers that do not keep up: ...
constexpr int kSlow = 10;      // ... of which these read, slowly, and the others never
const std::string kFollow = R"({"v":1,"id":7,"cmd":"logs","args":{"target":"chatty","lines":0,"follow":true}})" "\n";

// A follower that reads everything in a thread: counts lines, gaps in the numbering, the longest silence.
struct Reader {
    std::atomic<bool> stop{false};
    std::atomic<long> lines{0};
    std::atomic<long> gaps{0};
    std::atomic<long> longest_silence_ms{0};
    std::atomic<bool> cut{false};
    std::thread thread;

    explicit Reader(const fs::path& socket) {
        thread = std::thread([this, socket] { run(socket); });
    }
    ~Reader() {
        stop = true;
        thread.join();
    }

    void run(const fs::path& socket) {
        SocketClient client(socket);
        if (!client.connected() || !client.send(kFollow) || !client.read_line()) return;  // the reply
        long expected = -1;
        auto last = std::chrono::steady_clock::now();
        while (!stop) {
            const auto line = client.read_line(std::chrono::milliseconds(500));
            const auto now = std::chrono::steady_clock::now();
            if (!line) {
                if (!client.connected()) return;
                continue;
            }
            const auto json = nlohmann::json::parse(*line, nullptr, false);
            if (!json.contains("event")) {
                cut = true;
                return;
            }
            const long n = std::stol(json["event"]["line"].get<std::string>());
            if (expected >= 0 && n != expected) ++gaps;
            expected = n + 1;
            ++lines;
            const long silence = std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count();
            if (silence > longest_silence_ms) longest_silence_ms = silence;
            last = now;
        }
    }
};

long count_of(const std::string& text, const std::string& what) {
    long count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++count;
    return count;
}

// A follower that reads, but slower than the stream: 4 KiB every 50 ms. Keeps what it read.
struct SlowReader {
    std::string text;
    bool eof = false;
    std::thread thread;

    explicit SlowReader(const fs::path& socket) {
        thread = std::thread([this, socket] {
            SocketClient client(socket);
            if (!client.connected() || !client.send(kFollow)) return;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
            char chunk[4096];
            while (std::chrono::steady_clock::now() < deadline) {
                pollfd watch{client.fd(), POLLIN, 0};
                if (::poll(&watch, 1, 1000) <= 0) continue;
                const ssize_t n = ::recv(client.fd(), chunk, sizeof chunk, 0);
                if (n <= 0) {
                    eof = n == 0;
                    return;
                }
                text.append(chunk, static_cast<std::size_t>(n));
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
    }
    void join() { thread.join(); }
    std::string last_line() const {
        const auto end = text.rfind('\n');
        if (end == std::string::npos) return {};
        const auto start = text.rfind('\n', end - 1);
        return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1));
    }
};

bool peer_closed(int fd) {
    pollfd watch{fd, POLLRDHUP, 0};
    return ::poll(&watch, 1, 0) == 1 && (watch.revents & (POLLRDHUP | POLLHUP)) != 0;
}

}  // namespace

TEST_CASE("faults: 200 followers that never read are cut with slow_client and the daemon's memory comes back") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[services.chatty]
command = ["node", "${chatty}"]
env = { MODE = "steady", BATCH = "10", LINE_BYTES = "200" }
logs = { max_size = "8MiB", keep = 1 }
)TOML", {{"chatty", fixture("chatty.js")}}));
    CorralProcess corral(dir.path(), {"up"});
    const fs::path socket = dir / ".corral/corral.sock";
    const fs::path out = dir / ".corral/logs/chatty-0.out.log";
    REQUIRE(wait_until([&] { return fs::exists(out) && fs::file_size(out) > 0; }, 20s));
    auto reader = std::make_unique<Reader>(socket);
    REQUIRE(wait_until([&] { return reader->lines > 500; }, 20s));
    const long before = rss_kib(corral.pid());

    std::vector<std::unique_ptr<SocketClient>> stalled;
    for (int i = 0; i < kStalled - kSlow; ++i) {
        auto client = std::make_unique<SocketClient>(socket);
        REQUIRE(client->connected());
        const int small = 4096;
        ::setsockopt(client->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        REQUIRE(client->send(kFollow));
        stalled.push_back(std::move(client));
    }
    std::vector<std::unique_ptr<SlowReader>> slow;
    for (int i = 0; i < kSlow; ++i) slow.push_back(std::make_unique<SlowReader>(socket));
    // Every one is cut (the daemon logs each), while the reader goes on.
    const auto cuts = [&] { return count_of(corral.stderr_text(), "cut a follower that read too slowly"); };
    REQUIRE(wait_until([&] { return cuts() >= kStalled; }, 60s));
    // The slow ones read on: what was queued for them, then slow_client, then the end.
    for (auto& reader : slow) {
        reader->join();
        CHECK(reader->eof);
        const std::string last = reader->last_line();
        CAPTURE(last);
        CHECK(nlohmann::json::parse(last, nullptr, false)["error"]["code"] == "slow_client");
    }
    // The others never read: the daemon closes them after the grace period.
    REQUIRE(wait_until([&] {
        for (const auto& client : stalled) {
            if (!peer_closed(client->fd())) return false;
        }
        return true;
    }, 30s));
    const long peak = peak_rss_kib(corral.pid());
    const long stalled_rss = rss_kib(corral.pid());
    stalled.clear();
    long after = 0;
    const bool back = wait_until([&] {
        after = rss_kib(corral.pid());
        return after - before < 2 * 1024;
    }, 15s);
    MESSAGE("daemon RSS " << before << " KiB before, peak " << peak << " KiB with " << kStalled
                          << " stalled followers, " << stalled_rss << " KiB once they were cut, " << after
                          << " KiB after they left; the reader got " << reader->lines.load() << " lines, longest silence "
                          << reader->longest_silence_ms.load() << " ms");
    if (kMemoryIsMeasurable) {
        // What may wait: max(32 MiB, 200 x 256 KiB) = 50 MiB, plus the slack of its buffers.
        CHECK(peak - before < 72 * 1024);
        CHECK(back);
    }
    CHECK(reader->lines > 1000);
    CHECK(reader->gaps == 0);
    CHECK_FALSE(reader->cut.load());
    CHECK(reader->longest_silence_ms < 3000);
    reader.reset();
    CHECK(corral.stop() == 0);
}
