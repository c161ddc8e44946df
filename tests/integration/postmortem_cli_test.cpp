// `corral postmortem` on a hand-made state directory: the list, --json, --show and the ways to find the
// state directory, run as the built binary.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "supervisor/cli/sparkline.hpp"
#include "supervisor/postmortem/bundle_format.hpp"
#include "tests/support/doctest_strings.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

constexpr long long kMiB = 1 << 20;
constexpr const char* kOomId = "api-0/20261125T131500.123Z-oom-kill";
constexpr const char* kExitId = "my-api-1/20261125T120102.004Z-exit-code";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Two deaths: api#0 OOM-killed at its 256 MiB memory.max after two minutes of growth, and my-api#1 exiting
// with code 1 earlier, without memory samples.
void write_state_dir(const TempDir& dir, const std::string& state = ".corral") {
    const std::string oom = state + "/postmortem/" + kOomId + "/";
    dir.write(oom + "summary.json", R"json({
  "version": 1, "id": "api-0/20261125T131500.123Z-oom-kill", "service": "api", "index": 0, "pid": 4242,
  "reason": "oom-kill",
  "evidence": ["memory.events: oom_kill 0 -> 1", "kernel: Memory cgroup out of memory: Killed process 4242 (node)"],
  "exit": {"code": null, "signal": "SIGKILL"},
  "started_at": "2026-11-25T13:10:00.000Z", "ended_at": "2026-11-25T13:15:00.123Z", "uptime_ms": 300123,
  "restarts": 2,
  "limits": {"memory_max": 268435456, "memory_high": null, "swap_max": null, "pids_max": null,
             "cpu_weight": null, "cpu_max_percent": null},
  "memory": {"peak": 268435456, "last": 267386880, "max": 268435456},
  "files": ["kernel.log", "memory.csv", "stderr.log"]
})json");
    std::string csv = std::string(corral::supervisor::postmortem::kMemoryCsvHeader) + "\n";
    for (int i = 0; i < 120; ++i) {
        const long long current = 64 * kMiB + static_cast<long long>(i) * 192 * kMiB / 119;
        const std::string psi = i < 100 ? "0.00" : std::to_string((i - 100) * 4) + ".50";
        csv += std::to_string(1795698780123LL + i * 1000) + "," + std::to_string(current) + ",,,,,," +
               (i == 50 ? "," : psi + "," + psi) + ",0\n";
    }
    dir.write(oom + "memory.csv", csv);
    std::string err;
    for (int i = 1; i <= 15; ++i) err += "request " + std::to_string(i) + " cached\n";
    dir.write(oom + "stderr.log", err);
    dir.write(oom + "kernel.log",
              "[5213.120301] node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
              "[5213.120577] Memory cgroup out of memory: Killed process 4242 (node) total-vm:1215672kB, "
              "anon-rss:258112kB, file-rss:41344kB, shmem-rss:0kB, UID:0 pgtables:2284kB oom_score_adj:0\n");

    const std::string exit = state + "/postmortem/" + kExitId + "/";
    dir.write(exit + "summary.json", R"({"version": 1, "id": "my-api-1/20261125T120102.004Z-exit-code",
  "service": "my-api", "index": 1, "reason": "exit-code", "evidence": ["exited with code 1"],
  "exit": {"code": 1, "signal": null}, "ended_at": "2026-11-25T12:01:02.004Z", "uptime_ms": 2500,
  "memory": {"peak": 52428800, "last": null, "max": null}, "files": ["stderr.log"]})");
    dir.write(exit + "stderr.log", "Error: listen EADDRINUSE: address already in use :::3000\n");
    dir.make_dir(state + "/postmortem/api-0/20261126T000000.000Z-signal.tmp");  // still being written
}

}  // namespace

TEST_CASE("corral postmortem lists the bundles newest first in a table") {
    TempDir dir;
    write_state_dir(dir);
    const auto result = run_corral(dir.path(), {"postmortem"});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "ID                                       WHEN (UTC)   REASON     EXIT     UPTIME  PEAK/MAX");
    CHECK(lines[1] == "api-0/20261125T131500.123Z-oom-kill      11-25 13:15  oom-kill   SIGKILL  5m00s   256.0MiB/256.0MiB");
    CHECK(lines[2] == "my-api-1/20261125T120102.004Z-exit-code  11-25 12:01  exit-code  1        2.5s    50.0MiB/-");
    CHECK(lines[3] == "");
    CHECK(lines[4] == "2 post-mortems in " + (dir / ".corral/postmortem").string() +
                          "; read one with: corral postmortem --show ID");
    for (std::size_t i = 0; i < 3; ++i) CHECK(lines[i].size() <= 100);
}

TEST_CASE("corral postmortem filters by service and by instance") {
    TempDir dir;
    write_state_dir(dir);
    const auto api = run_corral(dir.path(), {"postmortem", "api"});
    CHECK(api.exit_code == 0);
    CHECK(contains(api.out, kOomId));
    CHECK_FALSE(contains(api.out, kExitId));  // my-api is another service
    const auto none = run_corral(dir.path(), {"postmortem", "my-api#0"});
    CHECK(none.exit_code == 0);
    CHECK(none.out == "no post-mortems of my-api#0 in " + (dir / ".corral/postmortem").string() + "\n");
    const auto bad = run_corral(dir.path(), {"postmortem", "my api"});
    CHECK(bad.exit_code == 2);
    CHECK(contains(bad.err, "is not a service or an instance"));
}

TEST_CASE("corral postmortem --json prints the list as a JSON array") {
    TempDir dir;
    write_state_dir(dir);
    const auto result = run_corral(dir.path(), {"postmortem", "--json"});
    CHECK(result.exit_code == 0);
    const auto list = nlohmann::json::parse(result.out);
    REQUIRE(list.is_array());
    REQUIRE(list.size() == 2);
    CHECK(list[0]["id"] == kOomId);
    CHECK(list[0]["service"] == "api");
    CHECK(list[0]["index"] == 0);
    CHECK(list[0]["exit"]["signal"] == "SIGKILL");
    CHECK(list[0]["exit"]["code"].is_null());
    CHECK(list[0]["memory"]["peak"] == 268435456);
    CHECK(list[1]["service"] == "my-api");
    CHECK(list[1]["exit"]["code"] == 1);
}

TEST_CASE("corral postmortem --show draws the memory chart and the tails") {
    TempDir dir;
    write_state_dir(dir);
    const auto result = run_corral(dir.path(), {"postmortem", "--show", "api-0/2026"});
    CHECK(result.exit_code == 0);
    CHECK(result.err == "");
    const std::string& out = result.out;
    CHECK(out.starts_with(std::string("Post-mortem ") + kOomId + "\n"));
    CHECK(contains(out, "  reason     oom-kill: killed by the kernel's OOM killer (memory cgroup out of memory)\n"));
    CHECK(contains(out, "  evidence   memory.events: oom_kill 0 -> 1\n"));
    CHECK(contains(out, "  exit       signal SIGKILL\n"));
    CHECK(contains(out, "  ended      2026-11-25 13:15:00.123 UTC, up 5m00s\n"));
    CHECK(contains(out, "  memory     peak 256.0MiB (100% of memory.max), last 255.0MiB\n"));
    // The chart: a dashed line at memory.max, blocks, the pressure row and the time axis.
    CHECK(contains(out, "  256 ┤╌╌╌"));
    CHECK(contains(out, " memory.max\n"));
    CHECK(contains(out, "█"));
    CHECK(contains(out, "  psi ┤▁▁▁"));
    CHECK(contains(out, "-1m59s"));
    // The tails: the last 10 lines of stderr and the kernel's verdict.
    CHECK(contains(out, "the last 10 of 15 lines in stderr.log\n"));
    CHECK(contains(out, "│ request 6 cached\n"));
    CHECK(contains(out, "│ request 15 cached\n"));
    CHECK_FALSE(contains(out, "request 5 cached"));
    CHECK(contains(out, "Memory cgroup out of memory: Killed process 4242 (node)"));
    CHECK_FALSE(contains(out, "invoked oom-killer"));
    CHECK(contains(out, (dir / ".corral/postmortem" / kOomId).string()));
    CHECK(contains(out, "  memory.csv "));
    for (const auto& line : lines_of(out)) CHECK(corral::supervisor::cli::display_width(line) <= 100);
    CHECK_FALSE(contains(out, "\x1b["));  // not a terminal: no colors
}

TEST_CASE("corral postmortem --show takes the bundle directory name alone and prints JSON") {
    TempDir dir;
    write_state_dir(dir);
    const auto text = run_corral(dir.path(), {"postmortem", "--show", "20261125T120102.004Z-exit-code"});
    CHECK(text.exit_code == 0);
    CHECK(contains(text.out, "  reason     exit-code: exited by itself with code 1\n"));
    CHECK(contains(text.out, "no samples"));
    CHECK(contains(text.out, "│ Error: listen EADDRINUSE"));

    const auto json = run_corral(dir.path(), {"postmortem", "--show", kOomId, "--json"});
    CHECK(json.exit_code == 0);
    const auto bundle = nlohmann::json::parse(json.out);
    CHECK(bundle["reason"] == "oom-kill");
    CHECK(bundle["restarts"] == 2);
    REQUIRE(bundle["samples"].size() == 120);
    CHECK(bundle["samples"][0]["current"] == 64 * kMiB);
    CHECK(bundle["samples"][50]["psi_full_avg10"].is_null());
    REQUIRE(bundle["files"].size() == 4);
    CHECK(bundle["files"][0]["name"] == "kernel.log");
    CHECK(bundle["files"][0]["size"].is_number_unsigned());
}

TEST_CASE("corral postmortem --show with an unknown or ambiguous id exits 1") {
    TempDir dir;
    write_state_dir(dir);
    const auto unknown = run_corral(dir.path(), {"postmortem", "--show", "web-0/nope"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.out == "");
    CHECK(contains(unknown.err, "no post-mortem \"web-0/nope\""));
    CHECK(contains(unknown.err, "list their ids with: corral postmortem"));
    const auto ambiguous = run_corral(dir.path(), {"postmortem", "--show", "2026"});
    CHECK(ambiguous.exit_code == 1);
    CHECK(contains(ambiguous.err, "matches 2 post-mortems"));
    CHECK(contains(ambiguous.err, kExitId));
}

TEST_CASE("corral postmortem without a postmortem directory lists nothing and shows nothing") {
    TempDir dir;
    const auto list = run_corral(dir.path(), {"postmortem"});
    CHECK(list.exit_code == 0);
    CHECK(list.out == "no post-mortems in " + (dir / ".corral/postmortem").string() + "\n");
    const auto json = run_corral(dir.path(), {"postmortem", "--json"});
    CHECK(json.out == "[]\n");
    const auto show = run_corral(dir.path(), {"postmortem", "--show", kOomId});
    CHECK(show.exit_code == 1);
}

TEST_CASE("corral postmortem finds the state directory from --state-dir or the service file") {
    TempDir dir;
    write_state_dir(dir, "elsewhere");
    const std::string service = "[services.api]\ncommand = [\"node\", \"server.js\"]\n";
    dir.write("conf/app.toml", "[supervisor]\nstate_dir = \"../elsewhere\"\n" + service);

    const auto flag = run_corral(dir.path(), {"postmortem", "--state-dir", "elsewhere"});
    CHECK(flag.exit_code == 0);
    CHECK(contains(flag.out, kOomId));
    const auto file = run_corral(dir.path(), {"postmortem", "-c", "conf/app.toml", "api#0"});
    CHECK(file.exit_code == 0);
    CHECK(contains(file.out, kOomId));
    CHECK(contains(run_corral(dir.path(), {"postmortem"}).out, "no post-mortems in"));  // ./.corral

    dir.write("corral.toml", "[supervisor]\nstate_dir = \"elsewhere\"\n" + service);
    CHECK(contains(run_corral(dir.path(), {"postmortem"}).out, kOomId));
    // Only state_dir is read: errors elsewhere do not matter, and a file that is not TOML means .corral.
    dir.write("corral.toml", "[supervisor]\nstate_dir = \"elsewhere\"\nbogus = 1\n" + service);
    CHECK(contains(run_corral(dir.path(), {"postmortem"}).out, kOomId));
    dir.write("corral.toml", "[supervisor]\nstate_dirr = \"elsewhere\"\n" + service);
    const auto misspelt = run_corral(dir.path(), {"postmortem"});
    CHECK(misspelt.exit_code == 0);
    CHECK(contains(misspelt.out, "no post-mortems in"));
    dir.write("corral.toml", "[supervisor\n");
    CHECK(contains(run_corral(dir.path(), {"postmortem"}).out, "no post-mortems in"));
    CHECK(run_corral(dir.path(), {"postmortem", "-c", "missing.toml"}).exit_code == 2);
    CHECK(run_corral(dir.path(), {"postmortem", "--state-dir", "x", "-c", "corral.toml"}).exit_code == 2);
}
