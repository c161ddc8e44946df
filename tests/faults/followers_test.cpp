// Faults: 200 `logs --follow` clients that send their request and never read, beside one that reads. The
// stalled ones are cut with slow_client once their share of the follower budget waits for them; the
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

constexpr int kStalled = 200;
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
    for (int i = 0; i < kStalled; ++i) {
        auto client = std::make_unique<SocketClient>(socket);
        REQUIRE(client->connected());
        const int small = 4096;
        ::setsockopt(client->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        REQUIRE(client->send(kFollow));
        stalled.push_back(std::move(client));
    }
    // Every stalled follower is cut (the daemon logs each), while the reader goes on.
    const auto cuts = [&] { return count_of(corral.stderr_text(), "cut a follower that read too slowly"); };
    REQUIRE(wait_until([&] { return cuts() >= kStalled; }, 60s));
    // The first ten read now, within the grace period: what was queued for them, then slow_client.
    for (int i = 0; i < 10; ++i) {
        std::optional<std::string> line;
        std::string last;
        while ((line = stalled[i]->read_line(std::chrono::seconds(5)))) last = *line;
        const auto json = nlohmann::json::parse(last, nullptr, false);
        CAPTURE(last);
        CHECK(json["error"]["code"] == "slow_client");
    }
    // The others never read: the daemon closes them after the grace period.
    REQUIRE(wait_until([&] {
        for (int i = 10; i < kStalled; ++i) {
            if (!peer_closed(stalled[i]->fd())) return false;
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
                          << " KiB after they left; the reader got " << reader->lines << " lines, longest silence "
                          << reader->longest_silence_ms << " ms");
    if (kMemoryIsMeasurable) {
        CHECK(peak - before < 80 * 1024);
        CHECK(back);
    }
    CHECK(reader->lines > 1000);
    CHECK(reader->gaps == 0);
    CHECK_FALSE(reader->cut.load());
    CHECK(reader->longest_silence_ms < 3000);
    reader.reset();
    CHECK(corral.stop() == 0);
}
