// The Prometheus endpoint of a real daemon ([supervisor] metrics on 127.0.0.1:0) and `corral metrics`:
// figures the test caused (a restart for an exit code, one asked for, the messages of a route), the HTTP
// answers, and both texts checked by promtool; then a real Prometheus server scraping the daemon.
#include <doctest/doctest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "tests/integration/metrics_tools.hpp"
#include "tests/support/control_socket.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kMessages = 200;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Two services joined by a route (`receiver` has parent = "sender"), and one that exits once.
void write_services(const TempDir& dir) {
    dir.write("corral.toml", subst(R"TOML(
[supervisor]
metrics = "127.0.0.1:0"
sample_interval = "200ms"

[services.once]
command = ["node", "${exit_once}"]
env = { MARK_FILE = "${mark}" }

[services.sender]
command = ["node", "${sender}"]
env = { RECORD_FILE = "${out}", COUNT = "${count}", PACE = "flood" }

[services.receiver]
command = ["node", "${receiver}"]
parent = "sender"
env = { RECORD_FILE = "${in}", EXPECT = "${count}" }
)TOML", {{"exit_once", fixture("exit_once.js")}, {"sender", fixture("ipc_sender.js")},
         {"receiver", fixture("ipc_receiver.js")}, {"mark", (dir / "mark").string()}, {"out", (dir / "out").string()},
         {"in", (dir / "in").string()}, {"count", std::to_string(kMessages)}}));
}

// The endpoint's address, as `status` shows it ("127.0.0.1:41234"); "" when none.
std::string metrics_address(const fs::path& socket) {
    SocketClient client(socket);
    // Before the daemon answers, or while it answers with an error, the reply has no result.
    const json reply = client.request("status");
    const json::json_pointer where("/result/daemon/metrics");
    return reply.contains(where) && reply.at(where).is_string() ? reply.at(where).get<std::string>() : std::string();
}

std::string scrape(const std::string& address) {
    const auto [host, port] = split_address(address);
    const auto answer = http_request(host, port, "GET", "/metrics");
    return answer && answer->status == 200 ? answer->body : std::string();
}

double sample(const std::string& text, const std::string& series) {
    const auto samples = samples_of(text);
    const auto found = samples.find(series);
    return found == samples.end() ? -1 : found->second;
}

// The figures the test causes: one exit-code restart of once#0, the route's messages all delivered.
bool caused_figures_in(const std::string& text) {
    return sample(text, R"(corral_instance_restarts_total{service="once",instance="0",reason="exit_code"})") == 1 &&
           sample(text, R"(corral_route_delivered_messages_total{from="sender",to="receiver",instance="0"})") ==
               kMessages;
}

fs::path promtool() {
    const auto found = find_program("promtool");
    REQUIRE_MESSAGE(found, "promtool is missing: install Debian's prometheus package (scripts/install-deps.sh)");
    return *found;
}

void check_with_promtool(const std::string& text, const char* what) {
    const ToolResult checked = run_tool({promtool().string(), "check", "metrics"}, text);
    CHECK_MESSAGE(checked.exit_code == 0, what << ": " << checked.output);
}

}  // namespace

TEST_CASE("metrics: GET /metrics shows the restarts and route messages the test caused, and promtool accepts it") {
    TempDir dir;
    write_services(dir);
    CorralProcess corral(dir.path(), {"up"});
    const fs::path socket = dir / ".corral/corral.sock";
    std::string address;
    REQUIRE(wait_until([&] { return !(address = metrics_address(socket)).empty(); }, 20s));
    CHECK(address.rfind("127.0.0.1:", 0) == 0);
    CHECK(split_address(address).second != 0);
    CHECK(contains(read_file(dir / ".corral/corral.log"), "metrics: serving http://" + address + "/metrics"));

    std::string text;
    const std::string running = R"(corral_instance_state{service="once",instance="0",state="running"})";
    // The restart is counted when the death is classified: the next process may still be on its way.
    REQUIRE_MESSAGE(wait_until([&] { return caused_figures_in(text = scrape(address)) && sample(text, running) == 1; },
                               60s), text);
    CHECK(sample(text, R"(corral_instance_up{service="once",instance="0"})") == 1);
    CHECK(sample(text, R"(corral_instance_restarts_total{service="once",instance="0",reason="manual"})") == -1);
    CHECK(sample(text, R"(corral_route_dropped_messages_total{from="sender",to="receiver",instance="0"})") == 0);
    CHECK(sample(text, R"(corral_route_received_messages_total{from="sender",to="receiver",instance="0"})") == kMessages);
    CHECK(sample(text, R"(corral_route_queued_messages{from="sender",to="receiver",instance="0"})") == 0);
    CHECK(sample(text, R"(corral_instance_cooling{service="sender",instance="0"})") == 0);
    CHECK(sample(text, R"(corral_build_info{version=")" CORRAL_VERSION R"("})") == 1);
    CHECK(sample(text, "process_open_fds") > 3);
    CHECK(sample(text, "process_resident_memory_bytes") > 0);
    CHECK(sample(text, R"(corral_instance_start_time_seconds{service="once",instance="0"})") > 1.6e9);
    // The Node agent's reports (every 200 ms).
    REQUIRE_MESSAGE(wait_until([&] {
        text = scrape(address);
        return sample(text, R"(corral_node_heap_used_bytes{service="receiver",instance="0"})") > 0;
    }, 20s), text);
    CHECK(sample(text, R"(corral_node_heap_total_bytes{service="receiver",instance="0"})") >=
          sample(text, R"(corral_node_heap_used_bytes{service="receiver",instance="0"})"));
    CHECK(sample(text, R"(corral_node_active_handles{service="receiver",instance="0"})") >= 1);
    CHECK(sample(text, R"(corral_node_eventloop_delay_max_seconds{service="receiver",instance="0"})") >= 0);
    CHECK(sample(text, R"(corral_node_report_age_seconds{service="receiver",instance="0"})") < 60);
    CHECK(contains(text, "# TYPE corral_node_gc_seconds_total counter"));
    check_with_promtool(text, "GET /metrics");

    // A restart asked for counts as manual, beside the exit code's.
    SocketClient client(socket);
    REQUIRE(client.request("restart", {{"target", "once#0"}})["ok"] == true);
    const std::string manual = R"(corral_instance_restarts_total{service="once",instance="0",reason="manual"})";
    CHECK(wait_until([&] { return sample(text = scrape(address), manual) == 1; }, 20s));
    CHECK(sample(text, R"(corral_instance_restarts_total{service="once",instance="0",reason="exit_code"})") == 1);

    // The same text through the control socket: the same series, and promtool accepts it too. The restarted
    // instance's Node series come with its first runtime report: waited for, so both texts have them.
    CHECK(wait_until([&] {
        return sample(scrape(address), R"(corral_node_heap_used_bytes{service="once",instance="0"})") > 0;
    }, 20s));
    TempDir elsewhere;
    const CommandResult printed = run_corral(elsewhere.path(), {"metrics", "--socket", socket.string()});
    REQUIRE_MESSAGE(printed.exit_code == 0, printed.err);
    check_with_promtool(printed.out, "corral metrics");
    std::set<std::string> http_series, cli_series;
    for (const auto& [series, value] : samples_of(scrape(address))) http_series.insert(series);
    for (const auto& [series, value] : samples_of(printed.out)) cli_series.insert(series);
    std::string only_one;
    for (const auto& series : http_series) only_one += cli_series.contains(series) ? "" : "http only: " + series + "\n";
    for (const auto& series : cli_series) only_one += http_series.contains(series) ? "" : "cli only: " + series + "\n";
    CHECK_MESSAGE(only_one.empty(), only_one);
    CHECK(corral.stop() == 0);
}

TEST_CASE("metrics: other paths are 404, other methods 405, HEAD is GET without a body") {
    TempDir dir;
    dir.write("corral.toml", subst(R"TOML(
[supervisor]
metrics = "127.0.0.1:0"

[services.idle]
command = ["node", "${idle}"]
)TOML", {{"idle", fixture("idle.js")}}));
    CorralProcess corral(dir.path(), {"up"});
    std::string address;
    REQUIRE(wait_until([&] { return !(address = metrics_address(dir / ".corral/corral.sock")).empty(); }, 20s));
    const auto [host, port] = split_address(address);
    const auto ok = http_request(host, port, "GET", "/metrics");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(ok->headers.at("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    const auto head = http_request(host, port, "HEAD", "/metrics");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->body.empty());
    const auto missing = http_request(host, port, "GET", "/");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    const auto posted = http_request(host, port, "POST", "/metrics");
    REQUIRE(posted);
    CHECK(posted->status == 405);
    CHECK(posted->headers.at("allow") == "GET, HEAD");
    // The daemon still answers after all of that.
    CHECK(http_request(host, port, "GET", "/metrics")->status == 200);
    CHECK(corral.stop() == 0);
}

TEST_CASE("metrics: an address in use refuses the start, naming it and why") {
    TempDir dir;
    const std::uint16_t port = free_loopback_port();
    dir.write("corral.toml", subst(R"TOML(
[supervisor]
metrics = "127.0.0.1:${port}"

[services.idle]
command = ["node", "${idle}"]
)TOML", {{"idle", fixture("idle.js")}, {"port", std::to_string(port)}}));
    // Taken by another corral first.
    TempDir first_dir;
    first_dir.write("corral.toml", read_file(dir / "corral.toml"));
    CorralProcess first(first_dir.path(), {"up"});
    REQUIRE(wait_until([&] { return !metrics_address(first_dir / ".corral/corral.sock").empty(); }, 20s));
    const CommandResult refused = run_corral(dir.path(), {"up", "-d"});
    CHECK(refused.exit_code == 1);
    CHECK_MESSAGE(contains(refused.err, "[supervisor] metrics: cannot listen on 127.0.0.1:" + std::to_string(port) +
                                            ": Address already in use"),
                  refused.err);
    CHECK(first.stop() == 0);
}

TEST_CASE("metrics: a reload moves the endpoint to a new address, and without the setting there is none") {
    TempDir dir;
    const auto file = [&](const std::string& line) {
        dir.write("corral.toml", line + "\n[services.idle]\ncommand = [\"node\", \"" + fixture("idle.js").string() + "\"]\n");
    };
    file("");
    CorralProcess corral(dir.path(), {"up"});
    const fs::path socket = dir / ".corral/corral.sock";
    REQUIRE(wait_until([&] { return SocketClient(socket).request("status")["ok"] == true; }, 20s));
    CHECK(metrics_address(socket).empty());
    // `corral metrics` works without the endpoint.
    TempDir elsewhere;
    const CommandResult printed = run_corral(elsewhere.path(), {"metrics", "--socket", socket.string()});
    CHECK(printed.exit_code == 0);
    CHECK(contains(printed.out, "corral_instance_up{service=\"idle\",instance=\"0\"}"));

    file("[supervisor]\nmetrics = \"127.0.0.1:0\"\n");
    REQUIRE(SocketClient(socket).request("reload", {{"wait", true}})["ok"] == true);
    const std::string address = metrics_address(socket);
    REQUIRE(!address.empty());
    CHECK(contains(scrape(address), "corral_instance_up{service=\"idle\",instance=\"0\"} 1"));
    file("");
    REQUIRE(SocketClient(socket).request("reload", {{"wait", true}})["ok"] == true);
    CHECK(metrics_address(socket).empty());
    const auto [host, port] = split_address(address);
    CHECK(!http_request(host, port, "GET", "/metrics"));
    CHECK(corral.stop() == 0);
}

TEST_CASE("metrics: a real Prometheus server scrapes corral and answers for the restart and the route") {
    const auto prometheus = find_program("prometheus");
    REQUIRE_MESSAGE(prometheus, "prometheus is missing: install Debian's prometheus package (scripts/install-deps.sh)");
    TempDir dir;
    write_services(dir);
    CorralProcess corral(dir.path(), {"up"});
    std::string address;
    REQUIRE(wait_until([&] { return !(address = metrics_address(dir / ".corral/corral.sock")).empty(); }, 20s));
    REQUIRE(wait_until([&] { return caused_figures_in(scrape(address)); }, 60s));

    PrometheusServer server(*prometheus, free_loopback_port(), address);
    const auto answers = [&](const std::string& promql, double expected) {
        const auto values = server.query(promql);
        return values.size() == 1 && values[0] == expected;
    };
    CHECK_MESSAGE(wait_until([&] { return answers(R"(up{job="corral"})", 1); }, 60s), server.log());
    // Prometheus keeps its own `instance` label (the target) and renames corral's to exported_instance.
    CHECK(wait_until(
        [&] {
            return answers(
                R"(corral_instance_restarts_total{service="once",exported_instance="0",reason="exit_code"})", 1);
        },
        30s));
    CHECK(wait_until(
        [&] { return answers(R"(corral_route_delivered_messages_total{from="sender",to="receiver"})", kMessages); },
        30s));
    CHECK(corral.stop() == 0);
}
