// Cooling cycles with real Node processes: a heavy writer is cooled (it gets no messages, which wait in
// the broker) and then gets everything, in order; freeze mode freezes its cgroup, and a stop during a
// freeze completes; a worker under its threshold is never cooled.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The "<word> <a> <b>" records of a file whose word is `word`, as (a, b).
std::vector<std::pair<long long, long long>> records(const fs::path& file, const std::string& word) {
    std::vector<std::pair<long long, long long>> found;
    std::istringstream lines(read_file(file));
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string what;
        long long a = 0;
        long long b = 0;
        if (fields >> what >> a && what == word) {
            fields >> b;
            found.emplace_back(a, b);
        }
    }
    return found;
}

// How many lines start with "<word> ".
std::size_t lines_of(const fs::path& file, const std::string& word) {
    std::size_t count = 0;
    std::istringstream lines(read_file(file));
    std::string line;
    while (std::getline(lines, line)) count += line.rfind(word + " ", 0) == 0 ? 1 : 0;
    return count;
}

// write_bytes of /proc/PID/io: what the process caused to be written to storage.
long long write_bytes(pid_t pid) {
    std::istringstream io(read_file("/proc/" + std::to_string(pid) + "/io"));
    std::string key;
    long long value = 0;
    while (io >> key >> value) {
        if (key == "write_bytes:") return value;
    }
    return -1;
}

// The gaps between consecutive times longer than `at_least` ms, as (start, end).
std::vector<std::pair<long long, long long>> pauses(const std::vector<long long>& times, long long at_least) {
    std::vector<std::pair<long long, long long>> found;
    for (std::size_t i = 1; i < times.size(); ++i) {
        if (times[i] - times[i - 1] >= at_least) found.emplace_back(times[i - 1], times[i]);
    }
    return found;
}

std::map<std::string, std::string> paths(const TempDir& dir) {
    return {{"sender", fixture("ipc_sender.js")}, {"writer", fixture("heavy_writer.js")},
            {"receiver", fixture("ipc_receiver.js")},
            {"out", (dir / "out").string()},      {"in", (dir / "in").string()},
            {"data", (dir / "data").string()}};
}

}  // namespace

TEST_CASE("cooling: a writer above its write_rate is cooled - gets nothing while cooling - then everything in order") {
    TempDir dir;
    // 100 messages a second for 8 s, each making the writer write 128 KiB: 12.5 MiB/s, over 4 MiB/s.
    dir.write("corral.toml", subst(R"TOML(
[supervisor]
sample_interval = "250ms"

[services.feeder]
command = ["node", "${sender}"]
env = { RECORD_FILE = "${out}", COUNT = "800", PACE = "flood", RATE = "100", DELAY_MS = "1000" }

[services.writer]
command = ["node", "${writer}"]
parent = "feeder"
memory = { max = "256MiB" }
env = { RECORD_FILE = "${in}", OUT_FILE = "${data}", WRITE_KIB = "128" }
cooling = { trigger = "write_rate", above = "4MiB/s", for = "1s", cool = "2s", work = "2s" }
)TOML", paths(dir)));
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    bool seen_cooling = false;
    long long written_while_cooling = -1;
    REQUIRE(wait_until([&] {
        const json writer = instance_of(client, "writer#0");
        if (writer.is_object() && writer["cooling"].is_object()) {
            CHECK(writer["cooling"]["mode"] == "hold");
            CHECK(writer["cooling"]["reason"].get<std::string>().find("write rate") != std::string::npos);
            if (!seen_cooling && writer["cooling"]["left_ms"].get<long long>() > 1000) {
                // What the writer writes to storage over half a second of its cool period.
                const pid_t pid = writer["pid"].get<pid_t>();
                const long long before = write_bytes(pid);
                std::this_thread::sleep_for(500ms);
                written_while_cooling = write_bytes(pid) - before;
            }
            seen_cooling = true;
        }
        return records(dir / "in", "got").size() >= 800;
    }, 60s));
    CHECK(seen_cooling);
    // 128 KiB per message at 100 a second is 6.4 MB per half second while working.
    CHECK(written_while_cooling >= 0);
    CHECK(written_while_cooling < 256 * 1024);
    CHECK(lines_of(dir / "in", "gap") == 0);
    std::vector<long long> times;
    long long expected = 0;
    bool in_order = true;
    for (const auto& [seq, at] : records(dir / "in", "got")) {
        in_order = in_order && seq == expected++;
        times.push_back(at);
    }
    CHECK(in_order);
    // Every cool period is a pause of about 2 s in what the writer got, though the feeder never paused.
    const auto cooled = pauses(times, 1500);
    REQUIRE(cooled.size() >= 1);
    for (const auto& [start, end] : cooled) CHECK(end - start < 3000);
    // The first cool period began within `for` + 1 s (+ a sample interval) of the writing.
    CHECK(cooled.front().first - times.front() <= 2250);
    const std::string log = corral.stderr_text();
    CHECK(log.find("writer#0: cooling (hold) for 2.0s: write rate") != std::string::npos);
    CHECK(log.find("writer#0: working again: cool period of 2s over") != std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("cooling: a worker under its threshold is never cooled") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[supervisor]
sample_interval = "250ms"

[services.feeder]
command = ["node", "${sender}"]
env = { RECORD_FILE = "${out}", COUNT = "300", PACE = "flood", RATE = "100", DELAY_MS = "500" }

[services.writer]
command = ["node", "${writer}"]
parent = "feeder"
memory = { max = "256MiB" }
env = { RECORD_FILE = "${in}", OUT_FILE = "${data}", WRITE_KIB = "4" }
cooling = { trigger = "write_rate", above = "4MiB/s", for = "1s", cool = "2s", work = "2s" }
)TOML", paths(dir)));
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    REQUIRE(wait_until([&] {
        const json writer = instance_of(client, "writer#0");
        CHECK_FALSE((writer.is_object() && writer["cooling"].is_object()));
        return records(dir / "in", "got").size() >= 300;
    }, 30s));
    std::vector<long long> times;
    for (const auto& [seq, at] : records(dir / "in", "got")) times.push_back(at);
    CHECK(pauses(times, 500).empty());
    CHECK(corral.stderr_text().find("cooling (") == std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("cooling: freeze mode freezes the group until heat - and a stop during a freeze completes") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[services.writer]
command = ["node", "${writer}"]
memory = { max = "256MiB" }
env = { RECORD_FILE = "${in}", TICKS = "1" }
cooling = { trigger = "schedule", work = "1h", cool = "1h", mode = "freeze" }
)TOML", paths(dir)));
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    REQUIRE(wait_until([&] { return records(dir / "in", "tick").size() >= 5; }, 20s));

    // Frozen: the ticks stop.
    json reply = client.request("cool", {{"target", "writer"}});
    REQUIRE(reply["ok"] == true);
    CHECK(reply["result"]["instances"][0]["cooling"] == true);
    const json cooling = instance_of(client, "writer#0")["cooling"];
    REQUIRE(cooling.is_object());
    CHECK(cooling["mode"] == "freeze");
    CHECK(cooling["left_ms"].is_null());
    std::this_thread::sleep_for(300ms);
    const std::size_t frozen_at = records(dir / "in", "tick").size();
    std::this_thread::sleep_for(1s);
    CHECK(records(dir / "in", "tick").size() <= frozen_at + 1);

    // Heat: they go on.
    REQUIRE(client.request("heat", {{"target", "writer#0"}})["ok"] == true);
    CHECK(wait_until([&] { return records(dir / "in", "tick").size() >= frozen_at + 5; }, 5s));
    CHECK(instance_of(client, "writer#0")["cooling"].is_null());

    // A stop while frozen completes (the group is thawed first).
    REQUIRE(client.request("cool", {{"target", "writer"}, {"for_ms", 60000}})["ok"] == true);
    CHECK(instance_of(client, "writer#0")["cooling"]["left_ms"].get<long long>() > 50000);
    REQUIRE(client.request("stop", {{"target", "writer"}})["ok"] == true);
    CHECK(wait_until([&] { return instance_of(client, "writer#0")["state"] == "stopped"; }, 10s));

    // Not running: nothing to cool.
    reply = client.request("cool", {{"target", "writer"}});
    CHECK(reply["result"]["not_running"] == json::array({"writer#0"}));
    CHECK(corral.stop() == 0);
}

TEST_CASE("cooling: a sender over its ipc_rate in freeze mode is paused for the cool period - RSS flat - nothing lost") {
    TempDir dir;
    // 20k messages a second for 6 s, never waiting for send(); cooled above 5k a second.
    dir.write("corral.toml", subst(R"TOML(
[supervisor]
sample_interval = "250ms"

[services.flood]
command = ["node", "${sender}"]
memory = { max = "512MiB" }
env = { RECORD_FILE = "${out}", COUNT = "120000", PACE = "flood", RATE = "20000", PAD = "200", DELAY_MS = "500" }
cooling = { trigger = "ipc_rate", above = "5000/s", for = "1s", cool = "2s", work = "2s", mode = "freeze" }

[services.sink]
command = ["node", "${receiver}"]
parent = "flood"
env = { RECORD_FILE = "${in}", EXPECT = "120000" }
)TOML", paths(dir)));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return !records(dir / "in", "done").empty(); }, 60s));
    CHECK(lines_of(dir / "in", "gap") == 0);
    // The sender records its RSS every 200 ms while it sends: frozen, it records nothing for ~2 s.
    std::vector<long long> times;
    long long first_rss = -1;
    long long max_rss = 0;
    for (const auto& [kib, at] : records(dir / "out", "rss")) {
        times.push_back(at);
        if (first_rss < 0) first_rss = kib;
        max_rss = std::max(max_rss, kib);
    }
    const auto frozen = pauses(times, 1500);
    REQUIRE(frozen.size() >= 1);
    for (const auto& [start, end] : frozen) CHECK(end - start < 3000);
    CAPTURE(first_rss);
    CAPTURE(max_rss);
    if (kMemoryIsMeasurable) CHECK(max_rss - first_rss < 50 * 1024);
    CHECK(corral.stderr_text().find("flood#0: cooling (freeze) for 2.0s: ipc rate") != std::string::npos);
    CHECK(corral.stop() == 0);
}
