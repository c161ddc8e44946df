// The sender throttle with real Node processes: a sender that floods its route, never looking at send()'s
// return, beside a CPU-hungry service, has its CPU capped through its cgroup while its messages wait
// unread on the daemon's end; status shows it; the cap is lifted once the sender stops; nothing is lost
// and the sender's RSS stays bounded.
//
// The daemon's CPU weight above its instances' keeps the broker ahead of such a sender on its own; to
// see the throttle act, the test takes the CPU away from the daemon as a starved host would: it stops it
// (SIGSTOP) for 100 ms of every 200 ms until the throttle engages, so that the sender fills its socket
// while the broker is not scheduled.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <nlohmann/json.hpp>
#include <sstream>

#include "supervisor/cgroup/self_cgroup.hpp"
#include "supervisor/cli/status_view.hpp"
#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;
using corral::supervisor::cgroup::own_cgroup_path;
namespace fs = std::filesystem;

namespace {

// The first numbers of the "<word> <n> <ms>" lines of `file`.
std::vector<long long> values(const fs::path& file, const std::string& word) {
    std::vector<long long> found;
    std::istringstream lines(read_file(file));
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string what;
        long long value = 0;
        if (fields >> what >> value && what == word) found.push_back(value);
    }
    return found;
}

bool has_line(const fs::path& file, const std::string& word) { return !values(file, word).empty(); }

// `corral status` as the CLI prints it (run_corral would stop every process the test started).
std::string status_text(SocketClient& client) {
    return corral::supervisor::cli::render_status(client.request("status")["result"], {});
}

// A sender that floods 150,000 messages of 1 KB at a receiver that is stopped at first, through a route whose
// queue blocks at 1,000 messages; `throttle` is the sender's setting ("" for the default).
void write_blocked_route(TempDir& dir, const std::string& throttle) {
    dir.write("corral.toml", subst(R"TOML(
[services.sender]
command = ["node", "${sender}"]
memory = { max = "512MiB" }
env = { RECORD_FILE = "${out}", COUNT = "150000", PACE = "flood", PAD = "1000", START_FILE = "${go}" }
${throttle}

[services.receiver]
command = ["node", "${receiver}"]
memory = { max = "512MiB" }
env = { RECORD_FILE = "${in}", EXPECT = "150000" }

[[routes]]
from = "sender"
to = "receiver"
queue = { max_messages = 1000, overflow = "block" }
)TOML", {{"sender", fixture("ipc_sender.js")}, {"receiver", fixture("ipc_receiver.js")}, {"throttle", throttle},
        {"out", (dir / "out").string()}, {"in", (dir / "in").string()}, {"go", (dir / "go").string()}}));
}

// Starts the sender against the stopped receiver and waits until `held` says the sender is held up; returns
// the sender's status at that moment.
json hold_up_sender(TempDir& dir, SocketClient& client, const std::function<bool(const json&)>& held) {
    REQUIRE(client.request("stop", {{"target", "receiver"}})["ok"] == true);
    REQUIRE(wait_until([&] { return instance_of(client, "receiver#0")["state"] == "stopped"; }, 10s));
    dir.write("go", "");
    json sender;
    REQUIRE(wait_until([&] {
        sender = instance_of(client, "sender#0");
        return sender.is_object() && held(sender);
    }, 30s));
    return sender;
}

bool frozen(const json& sender) { return sender["throttle"].is_object() && sender["throttle"]["frozen"] == true; }

// hold_up_sender, then starts the receiver and waits for every message.
json flood_blocked_route(TempDir& dir, SocketClient& client, const std::function<bool(const json&)>& held) {
    const json sender = hold_up_sender(dir, client, held);
    REQUIRE(client.request("start", {{"target", "receiver"}})["ok"] == true);
    REQUIRE(wait_until([&] { return has_line(dir / "in", "done"); }, 120s));
    return sender;
}

// The group's CPU quota per 100 ms period, in us (v1 cpu.cfs_quota_us, v2 the first field of cpu.max).
std::string cpu_quota_us(const fs::path& state_dir, const std::string& group) {
    if (hybrid_cgroups()) return read_trimmed(daemon_cgroup_dir(state_dir, "cpu", group) / "cpu.cfs_quota_us");
    const std::string max = read_trimmed(daemon_cgroup_dir(state_dir, "", group) / "cpu.max");
    return max.substr(0, max.find(' '));
}

long long peak_rss_kib(const fs::path& record) {
    const auto rss = values(record, "rss");
    REQUIRE_FALSE(rss.empty());
    return *std::max_element(rss.begin(), rss.end());
}

}  // namespace

TEST_CASE("throttle: a sender on a blocked route is frozen before its socket fills, thawed as the route drains, nothing lost") {
    TempDir dir;
    write_blocked_route(dir, "");
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    const json held = flood_blocked_route(dir, client, frozen);
    CHECK(held["channel_freezes"].get<int>() >= 1);
    CHECK(values(dir / "in", "gap").empty());
    CHECK(values(dir / "in", "done") == std::vector<long long>{150000});
    json sender;
    REQUIRE(wait_until([&] {
        sender = instance_of(client, "sender#0");
        return sender["throttle"].is_null();
    }, 10s));
    CHECK(status_text(client).find(" (its channel was a quarter full)") != std::string::npos);
    // Not a message kept in the sender's own memory: its RSS is Node's own (about 50 MB).
    CHECK(peak_rss_kib(dir / "out") < 100 * 1024);
    const std::string log = corral.stderr_text();
    CHECK(log.find("sender#0: frozen: its channel is a quarter full") != std::string::npos);
    CHECK(log.find("sender#0: thawed: corral read its channel down to ") != std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("throttle: a sender frozen for its channel is thawed to act on its stop signal") {
    TempDir dir;
    write_blocked_route(dir, "stop = { timeout = \"10s\" }");
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    hold_up_sender(dir, client, frozen);
    const auto asked = std::chrono::steady_clock::now();
    REQUIRE(client.request("stop", {{"target", "sender"}})["ok"] == true);
    REQUIRE(wait_until([&] { return instance_of(client, "sender#0")["state"] == "stopped"; }, 15s));
    // Frozen, it could not have died of SIGTERM before its 10 s stop timeout.
    CHECK(std::chrono::steady_clock::now() - asked < 5s);
    const json sender = instance_of(client, "sender#0");
    CHECK(sender["throttle"].is_null());
    CHECK(sender["last_exit"]["signal"] == "SIGTERM");
    const std::string log = corral.stderr_text();
    CAPTURE(log);
    CHECK(log.find("sender#0 [pid") != std::string::npos);
    CHECK(log.find("stop timeout") == std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("throttle: a reload that changes the CPU limit of a throttled sender keeps it throttled") {
    TempDir dir;
    write_blocked_route(dir, "");
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    const json throttled = hold_up_sender(dir, client, [](const json& sender) {
        return sender["throttle"].is_object() && sender["throttle"]["cpu_percent"] == 10;
    });
    if (hybrid_cgroups()) {
        // It had no cpu group of its own (no CPU limit): the throttle made one and moved it in.
        const pid_t pid = throttled["pid"].get<pid_t>();
        CHECK(own_cgroup_path(read_file("/proc/" + std::to_string(pid) + "/cgroup"), "cpu").value_or("").ends_with("/sender/0"));
    }
    write_blocked_route(dir, "cpu = { max = \"50%\" }");
    const json reloaded = client.request("reload");
    REQUIRE(reloaded["ok"] == true);
    const json sender = instance_of(client, "sender#0");
    REQUIRE(sender["throttle"].is_object());
    CHECK(sender["throttle"]["cpu_percent"] == 10);
    // The group's cap is the throttle's (10% of a 100 ms period), not the file's new 50%.
    CHECK(cpu_quota_us(dir / ".corral", "sender/0") == "10000");
    CHECK(corral.stderr_text().find("sender#0: CPU throttle kept at 10% of a CPU after the reload") != std::string::npos);
    // Lifted, it gets the file's new cap.
    REQUIRE(client.request("start", {{"target", "receiver"}})["ok"] == true);
    REQUIRE(wait_until([&] { return has_line(dir / "in", "done"); }, 120s));
    REQUIRE(wait_until([&] { return instance_of(client, "sender#0")["throttle"].is_null(); }, 10s));
    CHECK(cpu_quota_us(dir / ".corral", "sender/0") == "50000");
    CHECK(values(dir / "in", "gap").empty());
    CHECK(corral.stop() == 0);
}

TEST_CASE("throttle: with throttle = false a sender on a blocked route keeps what it sends in its own memory") {
    TempDir dir;
    write_blocked_route(dir, "throttle = false");
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    // Held up: everything sent, most of it in the sender's heap (its "sent" line comes once the loop is done).
    flood_blocked_route(dir, client, [&](const json&) { return has_line(dir / "out", "sent"); });
    CHECK(values(dir / "in", "gap").empty());
    CHECK(instance_of(client, "sender#0")["channel_freezes"] == 0);
    CHECK(peak_rss_kib(dir / "out") > 150 * 1024);
    CHECK(corral.stop() == 0);
}

TEST_CASE("throttle: a flooding sender beside a CPU hog is throttled, shown in status, lifted when it stops, nothing lost") {
    TempDir dir;
    // 150,000 messages of 1 KiB, sent flat out; the receiver counts them and checks their order.
    dir.write("corral.toml", subst(R"TOML(
[services.spin]
command = ["node", "${spin}"]
instances = 2
memory = { max = "256MiB" }

[services.sender]
command = ["node", "${sender}"]
memory = { max = "512MiB" }
env = { RECORD_FILE = "${out}", COUNT = "150000", PACE = "flood", PAD = "1000", DELAY_MS = "1000" }
throttle = { above = "256KiB", for = "20ms", cpu = "5%" }

[services.receiver]
command = ["node", "${receiver}"]
parent = "sender"
memory = { max = "512MiB" }
env = { RECORD_FILE = "${in}", EXPECT = "150000" }
)TOML", {{"spin", fixture("spin.js")}, {"sender", fixture("ipc_sender.js")}, {"receiver", fixture("ipc_receiver.js")},
        {"out", (dir / "out").string()}, {"in", (dir / "in").string()}}));
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    std::atomic<bool> starving{true};
    std::thread starver([&] {
        while (starving) {
            ::kill(corral.pid(), SIGSTOP);
            std::this_thread::sleep_for(100ms);
            ::kill(corral.pid(), SIGCONT);
            std::this_thread::sleep_for(100ms);
        }
    });
    struct Join {
        std::atomic<bool>& flag;
        std::thread& thread;
        ~Join() {
            flag = false;
            if (thread.joinable()) thread.join();
        }
    } join{starving, starver};
    bool seen_throttled = false;
    std::string shown;
    const bool done = wait_until([&] {
        const json sender = instance_of(client, "sender#0");
        if (!seen_throttled && sender.is_object() && sender["throttle"].is_object()) {
            seen_throttled = true;
            starving = false;
            CHECK(sender["throttle"]["cpu_percent"] == 5);
            CHECK(sender["throttle"]["peak_unread_bytes"].get<long long>() >= 256 * 1024);
            shown = status_text(client);
        }
        return has_line(dir / "in", "done");
    }, 150s);
    if (!done) MESSAGE(std::string(corral.stderr_text() + read_file(dir / "in").substr(0, 2000)));
    REQUIRE(done);
    CHECK(seen_throttled);
    CHECK(shown.find("throttled 5%") != std::string::npos);
    // The sender is done and quiet: the throttle is lifted, and counted.
    json sender;
    REQUIRE(wait_until([&] {
        sender = instance_of(client, "sender#0");
        return sender.is_object() && sender["throttle"].is_null();
    }, 10s));
    CHECK(sender["throttles"].get<int>() >= 1);
    CHECK(sender["throttled_ms"].get<long long>() >= 500);
    CHECK(status_text(client).find("sender#0: CPU throttled ") != std::string::npos);
    // Nothing lost, in order.
    CHECK(values(dir / "in", "gap").empty());
    CHECK(values(dir / "in", "done") == std::vector<long long>{150000});
    // The sender never kept much in its own memory (unthrottled, beside the hog, it could grow by 1.8 KB per
    // message it sends ahead of the broker: 270 MB for all of them).
    CHECK(peak_rss_kib(dir / "out") < 100 * 1024);
    const std::string log = corral.stderr_text();
    CHECK(log.find("sender#0: CPU throttled to 5% of a CPU: ") != std::string::npos);
    CHECK(log.find("sender#0: CPU throttle lifted: corral caught up") != std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("throttle: throttle = false leaves a flooding sender alone") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[services.sender]
command = ["node", "${sender}"]
memory = { max = "512MiB" }
env = { RECORD_FILE = "${out}", COUNT = "20000", PACE = "flood", PAD = "1000" }
throttle = false

[services.receiver]
command = ["node", "${receiver}"]
parent = "sender"
memory = { max = "512MiB" }
env = { RECORD_FILE = "${in}", EXPECT = "20000" }
)TOML", {{"sender", fixture("ipc_sender.js")}, {"receiver", fixture("ipc_receiver.js")},
        {"out", (dir / "out").string()}, {"in", (dir / "in").string()}}));
    CorralProcess corral(dir.path(), {"up"});
    SocketClient client(dir / ".corral/corral.sock");
    REQUIRE(wait_until([&] { return has_line(dir / "in", "done"); }, 60s));
    const json sender = instance_of(client, "sender#0");
    CHECK(sender["throttle"].is_null());
    CHECK(sender["throttles"] == 0);
    CHECK(corral.stderr_text().find("CPU throttled") == std::string::npos);
    CHECK(corral.stop() == 0);
}
