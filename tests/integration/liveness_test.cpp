// liveness = { event_loop = ... }: a real Node web server whose request handler never returns is caught as
// hung, its post-mortem holds the JavaScript stack of the loop, and it is restarted and serves again; a
// worker merely busy for less than event_loop is left alone; and a service whose agent cannot report is
// refused. Every process is bounded in time (the daemon is stopped by ~CorralProcess, the test's requests
// time out), and the whole run is inside the memory-limited cgroup of scripts/run-limited.sh.
#include <doctest/doctest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "tests/integration/http_client.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/postmortem_bundles.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

constexpr long long kEventLoopMs = 3'000;

const char* kHungWeb = R"(
[supervisor]
sample_interval = "250ms"

[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", PORT = "${port}" }
listen = ["127.0.0.1:${port}"]
ready = "listening"
backoff = { initial = "100ms" }
liveness = { event_loop = "3s" }
)";

HeldSocket address_of(std::uint16_t port) {
    HeldSocket socket;
    socket.address = "127.0.0.1:" + std::to_string(port);
    socket.host = "127.0.0.1";
    socket.port = port;
    return socket;
}

// The body of GET `path`, or "" when no reply came.
std::string get(std::uint16_t port, const std::string& path = "/") {
    const std::optional<HttpReply> reply = fresh_get(address_of(port), path);
    return reply && reply->status == 200 ? reply->body : "";
}

// The epoch milliseconds of a corral.log line ("2026-12-07T23:10:21.123+00:00 warn ..."); 0 when unreadable.
long long log_line_ms(const std::string& line) {
    std::tm tm{};
    int ms = 0;
    char sign = '+';
    int offset_h = 0;
    int offset_m = 0;
    if (std::sscanf(line.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &sign, &offset_h, &offset_m) != 10) {
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const long long offset = (offset_h * 60LL + offset_m) * 60'000LL * (sign == '-' ? -1 : 1);
    return static_cast<long long>(timegm(&tm)) * 1000 + ms - offset;
}

}  // namespace

TEST_CASE("liveness: a request handler stuck in while (true) is caught with its stack - killed and restarted") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    const auto record = dir / "record";
    dir.write("corral.toml", subst(kHungWeb, {{"fixture", fixture("hung_web.js")}, {"record", record.string()},
                                              {"port", std::to_string(port)}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return count_records(record, "listening") == 1 && !get(port).empty(); }, 20s));
    const pid_t first = records_of(record, "listening").front().pid;

    // No reply will come: the request handler never returns. The connection stays open meanwhile.
    HttpConnection hanging(address_of(port));
    REQUIRE(static_cast<bool>(hanging));
    REQUIRE(hanging.send_get("/hang"));
    REQUIRE(wait_until([&] { return count_records(record, "hang") == 1; }, 5s));
    const long long hung_at = records_of(record, "hang").front().ms;

    // The transition out of running, as the log shows it (and `corral events` with the same reason).
    std::vector<std::string> transitions;
    const bool transitioned = wait_until([&] {
        transitions = lines_containing(state / "corral.log", "running -> backoff: ");
        return !transitions.empty();
    }, 20s);
    if (!transitioned) MESSAGE(read_file(state / "corral.log"));
    REQUIRE(transitioned);
    const std::string reason = transitions.front().substr(transitions.front().find("running -> backoff: ") + 20);
    CAPTURE(reason);
    CHECK(reason.rfind("hung: event loop blocked for ", 0) == 0);
    CHECK(reason.find("(no runtime report since ") != std::string::npos);

    // Restarted on its backoff, and serving again from a new process.
    REQUIRE(wait_until([&] { return count_records(record, "listening") == 2; }, 20s));
    CHECK(records_of(record, "listening").back().pid != first);
    CHECK(wait_until([&] { return get(port) == "ok " + std::to_string(records_of(record, "listening").back().pid) + "\n"; }, 10s));

    // Detected within event_loop + 2 s of the request, by corral's own clock (its log line).
    const auto asked = lines_containing(state / "corral.log", "asking its Node agent for the JavaScript stack");
    REQUIRE(asked.size() == 1);
    const long long detected_at = log_line_ms(asked.front());
    REQUIRE(detected_at > 0);
    const long long latency = detected_at - hung_at;
    MESSAGE("stuck at " << hung_at << " ms, detected " << latency << " ms later (event_loop " << kEventLoopMs << " ms)");
    // Not long before event_loop either: the last report before the request came at most a sample earlier.
    CHECK(latency >= kEventLoopMs - 1'000);
    CHECK(latency <= kEventLoopMs + 2'000);

    // Its post-mortem: reason hung, the stack of the loop, and `postmortem --show` prints its top.
    REQUIRE(wait_until([&] { return !bundles(state, "web-0").empty(); }, 10s));
    const fs::path bundle = bundles(state, "web-0").front();
    const auto summary = summary_of(bundle);
    CHECK(summary["reason"] == "hung");
    CHECK(summary["exit"]["signal"] == "SIGKILL");
    CHECK(summary["evidence"][0].get<std::string>().rfind("event loop blocked for ", 0) == 0);
    CHECK(summary["evidence"][1].get<std::string>().rfind("JavaScript stack taken ", 0) == 0);
    CHECK(fs::exists(bundle / "javascript-stack.json"));
    const std::string id = "web-0/" + bundle.filename().string();
    const auto shown = run_corral(dir.path(), {"postmortem", "--show", id});
    CAPTURE(shown.out);
    CHECK(shown.exit_code == 0);
    const std::string top = "at spinForever (" + fixture("hung_web.js").string() + ":14:";
    const auto stack_at = shown.out.find("JavaScript stack when it hung");
    CHECK(stack_at != std::string::npos);
    CHECK(shown.out.find(top, stack_at) != std::string::npos);
    CHECK(shown.out.find("at handleRequest (" + fixture("hung_web.js").string() + ":25:", stack_at) != std::string::npos);
    const auto as_json = run_corral(dir.path(), {"postmortem", "--show", id, "--json"});
    const auto json = nlohmann::json::parse(as_json.out, nullptr, false);
    REQUIRE(json.is_object());
    CHECK(json["javascript_stack"]["frames"][0]["function"] == "spinForever");
    CHECK(json["javascript_stack"]["frames"][0]["line"] == 14);
    CHECK(json["javascript_stack"]["frames"][0]["file"] == fixture("hung_web.js").string());
    // The restart counts under its reason in the metrics.
    const auto metrics = run_corral(dir.path(), {"metrics"});
    CAPTURE(metrics.out);
    CHECK(metrics.out.find("corral_instance_restarts_total{service=\"web\",instance=\"0\",reason=\"hung\"} 1\n") !=
          std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("liveness: a worker busy for less than event_loop is not killed") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    const auto record = dir / "record";
    dir.write("corral.toml", subst(kHungWeb, {{"fixture", fixture("hung_web.js")}, {"record", record.string()},
                                              {"port", std::to_string(port)}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return count_records(record, "listening") == 1 && !get(port).empty(); }, 20s));
    const pid_t pid = records_of(record, "listening").front().pid;
    // Busy twice for half of event_loop, a report interval apart: each report sees a delay under the limit.
    CHECK(get(port, "/busy/1500") == "ok " + std::to_string(pid) + "\n");
    std::this_thread::sleep_for(500ms);
    CHECK(get(port, "/busy/1500") == "ok " + std::to_string(pid) + "\n");
    // Two more event_loops for a verdict that should not come.
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * kEventLoopMs));
    CHECK(lines_containing(state / "corral.log", "hung").empty());
    CHECK(count_records(record, "listening") == 1);
    CHECK(get(port) == "ok " + std::to_string(pid) + "\n");
    CHECK(bundles(state, "web-0").empty());
    CHECK(corral.stop() == 0);
}

TEST_CASE("liveness: a service whose Node agent is off is refused at load with the place") {
    TempDir dir;
    dir.write("corral.toml", R"([services.web]
command = ["node", "server.js"]
node_agent = false
liveness = { event_loop = "10s" }
)");
    const auto result = run_corral(dir.path(), {"up"});
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "corral.toml:4:12: invalid value for services.web.liveness: liveness needs the Node agent's runtime reports, "
          "and node_agent = false turns off the Node agent that reports on the event loop (expected node_agent = true "
          "and ipc = \"json\", or no liveness)\n"
          "corral: 1 error(s) in corral.toml; nothing was started\n");
    CHECK_FALSE(fs::exists(dir / ".corral"));
}
