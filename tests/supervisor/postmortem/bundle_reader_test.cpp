// Reading post-mortem bundles back: hand-made bundle directories per bundle_format.hpp.
#include "supervisor/postmortem/bundle_reader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "supervisor/postmortem/bundle_format.hpp"
#include "tests/support/doctest_strings.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

namespace fs = std::filesystem;
using namespace corral::supervisor::postmortem;
using corral::test::subst;
using corral::test::TempDir;

namespace {

// A summary.json as the daemon writes it, for instance directory INSTANCE and bundle directory NAME.
std::string summary(const std::string& instance, const std::string& name, const std::string& reason = "oom-kill") {
    const auto [service, index] = *split_instance_directory(instance);
    return subst(R"({
  "version": 1, "id": "${INSTANCE}/${NAME}", "service": "${SERVICE}", "index": ${INDEX}, "pid": 1234,
  "reason": "${REASON}",
  "evidence": ["memory.events: oom_kill 0 -> 1"],
  "exit": {"code": null, "signal": "SIGKILL"},
  "started_at": "2026-11-25T13:14:00.000Z", "ended_at": "2026-11-25T13:15:00.123Z", "uptime_ms": 60123,
  "restarts": 3,
  "limits": {"memory_max": 268435456, "memory_high": null, "swap_max": null, "pids_max": null,
             "cpu_weight": null, "cpu_max_percent": null},
  "memory": {"peak": 268435456, "last": 268000000, "max": 268435456},
  "files": ["kernel.log", "memory.stat", "memory.csv", "stdout.log", "stderr.log"]
})",
                 {{"INSTANCE", instance}, {"NAME", name}, {"SERVICE", service}, {"INDEX", std::to_string(index)},
                  {"REASON", reason}});
}

void write_bundle(const TempDir& dir, const std::string& instance, const std::string& name) {
    dir.write(".corral/postmortem/" + instance + "/" + name + "/summary.json", summary(instance, name));
}

std::vector<std::string> ids(const std::vector<BundleInfo>& bundles) {
    std::vector<std::string> result;
    for (const auto& bundle : bundles) result.push_back(bundle.id);
    return result;
}

}  // namespace

TEST_CASE("bundle reader: lists every bundle newest first with its summary") {
    TempDir dir;
    write_bundle(dir, "api-0", "20261125T131500.123Z-oom-kill");
    write_bundle(dir, "api-1", "20261126T090000.000Z-signal");
    write_bundle(dir, "api-0", "20261124T235959.999Z-exit-code");
    write_bundle(dir, "worker-3", "20261125T131500.124Z-thrashing");

    std::vector<std::string> problems;
    const auto bundles = list_bundles(dir / ".corral", "", &problems);
    CHECK(problems.empty());
    CHECK(ids(bundles) == std::vector<std::string>{
                              "api-1/20261126T090000.000Z-signal",
                              "worker-3/20261125T131500.124Z-thrashing",
                              "api-0/20261125T131500.123Z-oom-kill",
                              "api-0/20261124T235959.999Z-exit-code",
                          });
    const BundleInfo& oom = bundles[2];
    CHECK(oom.path == dir / ".corral/postmortem/api-0/20261125T131500.123Z-oom-kill");
    CHECK(oom.service == "api");
    CHECK(oom.index == 0);
    CHECK(oom.time == "20261125T131500.123Z");
    CHECK(oom.reason == "oom-kill");
    CHECK(oom.ended_at == "2026-11-25T13:15:00.123Z");
    CHECK(oom.uptime_ms == 60123);
    CHECK_FALSE(oom.exit_code);
    CHECK(oom.exit_signal == "SIGKILL");
    CHECK(oom.memory_peak == 268435456u);
    CHECK(oom.memory_max == 268435456u);
    CHECK(bundles[1].service == "worker");
    CHECK(bundles[1].index == 3);
}

TEST_CASE("bundle reader: filters by service or instance and tells my-api from api") {
    TempDir dir;
    write_bundle(dir, "api-0", "20261125T100000.000Z-oom-kill");
    write_bundle(dir, "api-1", "20261125T110000.000Z-oom-kill");
    write_bundle(dir, "my-api-0", "20261125T120000.000Z-oom-kill");
    write_bundle(dir, "my-api-12", "20261125T130000.000Z-oom-kill");
    write_bundle(dir, "api-v2-0", "20261125T140000.000Z-oom-kill");
    const fs::path state = dir / ".corral";

    CHECK(ids(list_bundles(state, "api")) == std::vector<std::string>{"api-1/20261125T110000.000Z-oom-kill",
                                                                      "api-0/20261125T100000.000Z-oom-kill"});
    CHECK(ids(list_bundles(state, "api#0")) == std::vector<std::string>{"api-0/20261125T100000.000Z-oom-kill"});
    CHECK(ids(list_bundles(state, "my-api")) == std::vector<std::string>{"my-api-12/20261125T130000.000Z-oom-kill",
                                                                         "my-api-0/20261125T120000.000Z-oom-kill"});
    const auto twelve = list_bundles(state, "my-api#12");
    REQUIRE(twelve.size() == 1);
    CHECK(twelve[0].service == "my-api");
    CHECK(twelve[0].index == 12);
    CHECK(ids(list_bundles(state, "api-v2")) == std::vector<std::string>{"api-v2-0/20261125T140000.000Z-oom-kill"});
    CHECK(list_bundles(state, "api#7").empty());
    CHECK(list_bundles(state, "").size() == 5);
    CHECK(list_bundles(state, "api#x").empty());  // malformed: nothing
    CHECK(list_bundles(state, "#0").empty());
}

TEST_CASE("bundle reader: instance directory names split at the last dash") {
    CHECK(split_instance_directory("my-api-12") == std::pair<std::string, unsigned>{"my-api", 12});
    CHECK(split_instance_directory("api-0") == std::pair<std::string, unsigned>{"api", 0});
    CHECK_FALSE(split_instance_directory("api"));
    CHECK_FALSE(split_instance_directory("api-"));
    CHECK_FALSE(split_instance_directory("-3"));
    CHECK_FALSE(split_instance_directory("api-x1"));
    CHECK(parse_instance_filter("my-api#3")->service == "my-api");
    CHECK(parse_instance_filter("my-api#3")->index == 3u);
    CHECK_FALSE(parse_instance_filter("my api"));
    CHECK_FALSE(parse_instance_filter("api#"));
}

TEST_CASE("bundle reader: skips bundles being written and notes unreadable ones") {
    TempDir dir;
    write_bundle(dir, "api-0", "20261125T131500.123Z-oom-kill");
    dir.write(".corral/postmortem/api-0/20261126T000000.000Z-signal.tmp/summary.json", "{\"ver");  // in progress
    dir.write(".corral/postmortem/api-0/20261126T000001.000Z-signal/summary.json", "{\"version\": 1, \"reason\": ");
    dir.write(".corral/postmortem/api-0/20261126T000002.000Z-signal/summary.json", "[1, 2]");
    dir.make_dir(".corral/postmortem/api-0/20261126T000003.000Z-signal");  // no summary.json
    dir.write(".corral/postmortem/api-0/stray.txt", "not a bundle");
    dir.make_dir(".corral/postmortem/lost+found");
    fs::create_directory_symlink(dir / "nowhere", dir / ".corral/postmortem/api-9");  // dangling: ignored

    std::vector<std::string> problems;
    const auto bundles = list_bundles(dir / ".corral", "", &problems);
    CHECK(ids(bundles) == std::vector<std::string>{"api-0/20261125T131500.123Z-oom-kill"});
    REQUIRE(problems.size() == 4);
    std::sort(problems.begin(), problems.end());
    CHECK(problems[0].starts_with("api-0/20261126T000001.000Z-signal: summary.json: parse error at line 1"));
    CHECK(problems[1] == "api-0/20261126T000002.000Z-signal: summary.json: not a JSON object");
    CHECK(problems[2] == "api-0/20261126T000003.000Z-signal: no readable summary.json");
    CHECK(problems[3] == "lost+found: not an instance directory (<service>-<index>)");
}

TEST_CASE("bundle reader: no postmortem directory means no bundles and no problems") {
    TempDir dir;
    std::vector<std::string> problems;
    CHECK(list_bundles(dir / ".corral", "", &problems).empty());
    CHECK(problems.empty());
}

TEST_CASE("bundle reader: a summary with fields missing or of the wrong type still lists") {
    TempDir dir;
    dir.write(".corral/postmortem/api-0/20261125T131500.123Z-v8-heap-oom/summary.json",
              R"({"version": 1, "exit": {"code": 134, "signal": null}, "uptime_ms": "long", "memory": {"peak": -1}})");
    const auto bundles = list_bundles(dir / ".corral", "");
    REQUIRE(bundles.size() == 1);
    CHECK(bundles[0].reason == "v8-heap-oom");  // from the directory name
    CHECK(bundles[0].ended_at == "");
    CHECK_FALSE(bundles[0].uptime_ms);
    CHECK(bundles[0].exit_code == 134);
    CHECK_FALSE(bundles[0].exit_signal);
    CHECK_FALSE(bundles[0].memory_peak);
    CHECK_FALSE(bundles[0].memory_max);
}

TEST_CASE("bundle reader: resolves ids from what a person types") {
    TempDir dir;
    write_bundle(dir, "api-0", "20261125T131500.123Z-oom-kill");
    write_bundle(dir, "api-1", "20261125T131500.123Z-oom-kill");
    write_bundle(dir, "api-1", "20261126T090000.000Z-signal");
    const auto bundles = list_bundles(dir / ".corral", "");

    CHECK(resolve_bundle(bundles, "api-0/20261125T131500.123Z-oom-kill").match->id == "api-0/20261125T131500.123Z-oom-kill");
    CHECK(resolve_bundle(bundles, "api-1/2026112").candidates.size() == 2);
    CHECK(resolve_bundle(bundles, "api-1/20261126").match->id == "api-1/20261126T090000.000Z-signal");
    CHECK(resolve_bundle(bundles, "20261126T090000.000Z-signal").match->id == "api-1/20261126T090000.000Z-signal");
    CHECK(resolve_bundle(bundles, "20261126").match->id == "api-1/20261126T090000.000Z-signal");
    // The same directory name in two instances: ambiguous without the instance.
    const auto both = resolve_bundle(bundles, "20261125T131500.123Z-oom-kill");
    CHECK_FALSE(both.match);
    CHECK(both.candidates == std::vector<std::string>{"api-0/20261125T131500.123Z-oom-kill",
                                                      "api-1/20261125T131500.123Z-oom-kill"});
    const std::string path = (dir / ".corral/postmortem/api-0/20261125T131500.123Z-oom-kill/").string();
    CHECK(resolve_bundle(bundles, path).match->id == "api-0/20261125T131500.123Z-oom-kill");
    const auto none = resolve_bundle(bundles, "nope");
    CHECK_FALSE(none.match);
    CHECK(none.candidates.empty());
    CHECK_FALSE(resolve_bundle(bundles, "").match);
}

TEST_CASE("bundle reader: memory.csv with empty cells and the header's own column order") {
    std::vector<std::string> problems;
    const auto samples = parse_memory_csv(std::string(kMemoryCsvHeader) +
                                              "\n1000,100,80,20,0,0,0.5,,,4096\n"
                                              "2000,,,,,,,,,\n"
                                              "3000,300,240,60,1,2,3,4.25,1.5,8192\r\n",
                                          &problems);
    CHECK(problems.empty());
    REQUIRE(samples.size() == 3);
    CHECK(samples[0].time_ms == 1000);
    CHECK(samples[0].current == 100.0);
    CHECK(samples[0].refaults_per_s == 0.5);
    CHECK_FALSE(samples[0].psi_some_avg10);
    CHECK_FALSE(samples[0].psi_full_avg10);
    CHECK(samples[0].write_bytes_per_s == 4096.0);
    CHECK_FALSE(samples[1].current);
    CHECK(samples[2].psi_full_avg10 == 1.5);
    CHECK(samples[2].write_bytes_per_s == 8192.0);

    const auto reordered = parse_memory_csv("current,time_ms,future_column\n5,10,x\n7,20,y\n");
    REQUIRE(reordered.size() == 2);
    CHECK(reordered[1].time_ms == 20);
    CHECK(reordered[1].current == 7.0);
    CHECK_FALSE(reordered[1].anon);

    const auto headless = parse_memory_csv("10,5\n20,6,1");  // short rows and no header, no final newline
    REQUIRE(headless.size() == 2);
    CHECK(headless[1].anon == 1.0);
}

TEST_CASE("bundle reader: unreadable rows of memory.csv are skipped and counted") {
    std::vector<std::string> problems;
    const auto samples =
        parse_memory_csv("time_ms,current\n1000,100\n,200\nabc,300\n4000,lots\n5000,500\n\n", &problems);
    REQUIRE(samples.size() == 2);
    CHECK(samples[1].current == 500.0);
    CHECK(problems == std::vector<std::string>{"memory.csv: skipped 3 unreadable row(s), the first on line 3"});
}

TEST_CASE("bundle reader: loads a bundle with its samples and files") {
    TempDir dir;
    const std::string id = "my-api-2/20261125T131500.123Z-oom-kill";
    const std::string base = ".corral/postmortem/" + id + "/";
    dir.write(base + "summary.json", summary("my-api-2", "20261125T131500.123Z-oom-kill"));
    dir.write(base + "memory.csv", std::string(kMemoryCsvHeader) + "\n1000,100,,,,,,,,\n2000,,,,,,,,,\n");
    dir.write(base + "stderr.log", "boom\n");

    std::string error;
    const auto bundle = load_bundle(dir / ".corral", id, &error);
    REQUIRE(bundle);
    CHECK(error.empty());
    CHECK(bundle->info.id == id);
    CHECK(bundle->info.service == "my-api");
    CHECK(bundle->info.index == 2);
    CHECK(bundle->summary["restarts"] == 3);
    CHECK(bundle->summary.begin().key() == "version");  // keys in file order
    REQUIRE(bundle->samples.size() == 2);
    CHECK(bundle->samples[0].current == 100.0);
    CHECK_FALSE(bundle->samples[1].current);
    REQUIRE(bundle->files.size() == 3);
    CHECK(bundle->files[0].name == "memory.csv");
    CHECK(bundle->files[1].name == "stderr.log");
    CHECK(bundle->files[1].size == 5);
    CHECK(bundle->files[2].name == "summary.json");
}

TEST_CASE("bundle reader: a bundle without memory.csv loads with no samples") {
    TempDir dir;
    write_bundle(dir, "api-0", "20261125T131500.123Z-exit-code");
    const auto bundle = load_bundle(dir / ".corral", "api-0/20261125T131500.123Z-exit-code");
    REQUIRE(bundle);
    CHECK(bundle->samples.empty());
    CHECK(bundle->problems.empty());
}

TEST_CASE("bundle reader: loading what is not a whole bundle fails with a reason") {
    TempDir dir;
    write_bundle(dir, "api-0", "20261125T131500.123Z-oom-kill");
    dir.write(".corral/postmortem/api-0/20261126T000000.000Z-signal.tmp/summary.json", summary("api-0", "x"));
    dir.write(".corral/postmortem/api-0/20261126T000001.000Z-signal/summary.json", "{");
    const fs::path state = dir / ".corral";
    std::string error;
    CHECK_FALSE(load_bundle(state, "api-0/20261127T000000.000Z-oom-kill", &error));
    CHECK(error == "no post-mortem api-0/20261127T000000.000Z-oom-kill in " + (state / "postmortem").string());
    CHECK_FALSE(load_bundle(state, "api-0/20261126T000000.000Z-signal.tmp", &error));
    CHECK_FALSE(load_bundle(state, "api-0/20261126T000001.000Z-signal", &error));
    CHECK(error.starts_with("api-0/20261126T000001.000Z-signal: summary.json: parse error"));
    CHECK_FALSE(load_bundle(state, "api-0/../api-0", &error));
    CHECK_FALSE(load_bundle(state, "../../etc", &error));
    CHECK(error == "\"../../etc\" is not a post-mortem id (<service>-<index>/<time>-<reason>)");
}
