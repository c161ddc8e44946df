// Deaths and their post-mortems, on the real kernel: an OOM kill, a V8 heap exhaustion, thrashing, a
// heap snapshot before the kill, a restart at memory.restart_at. Every worker runs in a memory-limited
// cgroup set up before it starts, and every test is bounded in time.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/postmortem_bundles.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

bool has_file_ending(const fs::path& dir, const std::string& suffix) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().string().ends_with(suffix)) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("an OOM-killed worker is classified oom-kill with a complete post-mortem and runs again") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "200ms"

[services.hog]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", HOG_CHUNK_MB = "4", HOG_EVERY_MS = "20" }
memory = { max = "256MiB" }
backoff = { initial = "1s" }
)", {{"fixture", fixture("hog.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") >= 2; }, 60s));
    const pid_t killed = records_of(dir / "record", "start").front().pid;
    REQUIRE(bundles(state, "hog-0").size() >= 1);
    const fs::path bundle = bundles(state, "hog-0").front();
    CHECK(bundle.filename().string().ends_with("-oom-kill"));
    const auto summary = summary_of(bundle);
    CHECK(summary["reason"] == "oom-kill");
    CHECK(summary["pid"] == killed);
    CHECK(summary["exit"]["signal"] == "SIGKILL");
    CHECK(summary["limits"]["memory_max"] == 256ll << 20);
    CHECK(summary["memory"]["peak"].get<long long>() >= 200ll << 20);
    const std::string kernel = read_file(bundle / "kernel.log");
    CHECK(kernel.find("invoked oom-killer") != std::string::npos);
    CHECK(kernel.find("Killed process " + std::to_string(killed) + " (node)") != std::string::npos);
    CHECK(read_file(bundle / "memory.stat").find("total_rss") != std::string::npos);
    const std::string csv = read_file(bundle / "memory.csv");
    CHECK(csv.rfind("time_ms,current,anon,file,dirty,writeback,refaults_per_s,psi_some_avg10,psi_full_avg10,write_bytes_per_s\n", 0) == 0);
    CHECK(std::count(csv.begin(), csv.end(), '\n') >= 2);  // the header and at least one sample
    CHECK(read_file(bundle / "stderr.log").find("hog " + std::to_string(killed) + ": allocating until stopped") !=
          std::string::npos);
    CHECK(read_file(bundle / "stdout.log").find("holding") != std::string::npos);
    const auto status = nlohmann::json::parse(read_file(state / "status.json"));
    const auto& instance = status["instances"][0];
    CHECK(instance["last_exit"]["reason"] == "oom-kill");
    CHECK(instance["last_exit"]["postmortem"] == "hog-0/" + bundle.filename().string());
    CHECK(instance["exits"]["oom-kill"].get<int>() >= 1);
    CHECK(lines_containing(state / "corral.log", "running -> backoff: killed by the kernel's OOM killer").size() >= 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("an OOM-killed worker with backoff 0 runs again before its post-mortem is written, and the bundle is its own") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "200ms"

[services.hog]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", HOG_CHUNK_MB = "4", HOG_EVERY_MS = "20" }
memory = { max = "256MiB" }
backoff = { initial = "0s" }
)", {{"fixture", fixture("hog.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") >= 2; }, 60s));
    REQUIRE(wait_until([&] { return !bundles(state, "hog-0").empty(); }, 10s));
    const auto starts = records_of(dir / "record", "start");
    const pid_t killed = starts[0].pid;
    const pid_t next = starts[1].pid;
    const fs::path bundle = bundles(state, "hog-0").front();
    const auto summary = summary_of(bundle);
    CHECK(summary["reason"] == "oom-kill");
    CHECK(summary["pid"] == killed);
    CHECK(summary["memory"]["peak"].get<long long>() >= 200ll << 20);
    CHECK(read_file(bundle / "kernel.log").find("Killed process " + std::to_string(killed) + " (node)") != std::string::npos);
    CHECK(read_file(bundle / "memory.stat").find("total_rss") != std::string::npos);
    const std::string stderr_tail = read_file(bundle / "stderr.log");
    CHECK(stderr_tail.find("hog " + std::to_string(killed) + ":") != std::string::npos);
    CHECK(stderr_tail.find("hog " + std::to_string(next) + ":") == std::string::npos);

    // The daemon's log: the restart (backoff -> starting) comes before the bundle is written.
    const auto log = read_file(state / "corral.log");
    const auto restarted = log.find("hog#0: backoff -> starting");
    const auto written = log.find("hog#0: post-mortem hog-0/");
    REQUIRE(restarted != std::string::npos);
    REQUIRE(written != std::string::npos);
    CHECK(restarted < written);
    CHECK(corral.stop() == 0);
}

TEST_CASE("a worker whose V8 heap runs out is classified v8-heap-oom with Node's report in the bundle") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.heap]
command = ["node", "--max-old-space-size=32", "${fixture}"]
restart = "never"
env = { RECORD_FILE = "${record}" }
memory = { max = "512MiB" }
)", {{"fixture", fixture("heap.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return !bundles(state, "heap-0").empty(); }, 60s));
    const fs::path bundle = bundles(state, "heap-0").front();
    const auto summary = summary_of(bundle);
    CHECK(summary["reason"] == "v8-heap-oom");
    CHECK(summary["exit"]["signal"] == "SIGABRT");
    CHECK(has_file_ending(bundle, ".json"));  // report.<date>.<time>.<pid>.0.001.json
    bool report = false;
    for (const auto& entry : fs::directory_iterator(bundle)) {
        if (entry.path().filename().string().rfind("report.", 0) == 0) {
            report = read_file(entry.path()).find("\"javascriptHeap\"") != std::string::npos;
        }
    }
    CHECK(report);
    CHECK(read_file(bundle / "stderr.log").find("JavaScript heap out of memory") != std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("a worker whose working set does not fit its 64 MiB cgroup is killed for thrashing within the window") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "500ms"

[services.thrash]
command = ["node", "${fixture}"]
restart = "never"
env = { RECORD_FILE = "${record}", HOLD_MB = "24", FILE_MB = "32", DATA_DIR = "${dir}" }
memory = { max = "64MiB", thrashing = { pressure = "10%", for = "4s" } }
)", {{"fixture", fixture("thrash.js")}, {"record", dir / "record"}, {"dir", dir.path()}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return !bundles(state, "thrash-0").empty(); }, 120s));
    const fs::path bundle = bundles(state, "thrash-0").front();
    const auto summary = summary_of(bundle);
    CHECK(summary["reason"] == "thrashing");
    const std::string why = summary["evidence"][0];
    CAPTURE(why);
    CHECK(why.rfind("memory thrashing over the last ", 0) == 0);
    CHECK(why.find("(threshold 10%)") != std::string::npos);
    // Measured over the window, not much more: at most two samples past it.
    const double held = std::stod(why.substr(std::string("memory thrashing over the last ").size()));
    CHECK(held >= 4.0);
    CHECK(held <= 5.0);
    CHECK(summary["memory"]["max"] == 64ll << 20);
    CHECK(read_file(bundle / "memory.csv").find(",") != std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("memory.snapshot_at makes Node write a heap snapshot before the kill") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "100ms"

[services.hog]
command = ["node", "${fixture}"]
restart = "never"
env = { RECORD_FILE = "${record}", HOG_CHUNK_MB = "4", HOG_EVERY_MS = "40" }
memory = { max = "256MiB", snapshot_at = "40%" }
)", {{"fixture", fixture("hog.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return !bundles(state, "hog-0").empty(); }, 60s));
    const fs::path bundle = bundles(state, "hog-0").front();
    CHECK(summary_of(bundle)["reason"] == "oom-kill");
    CHECK(has_file_ending(bundle, ".heapsnapshot"));
    CHECK(lines_containing(state / "corral.log", "reached memory.snapshot_at").size() == 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("memory.restart_at restarts the worker gracefully with a memory-limit post-mortem") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "100ms"

[services.hog]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", HOG_CHUNK_MB = "4", HOG_EVERY_MS = "40" }
memory = { max = "512MiB", restart_at = "128MiB" }
backoff = { initial = "100ms" }
)", {{"fixture", fixture("hog.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") >= 2; }, 60s));
    REQUIRE(!bundles(state, "hog-0").empty());
    const auto summary = summary_of(bundles(state, "hog-0").front());
    CHECK(summary["reason"] == "memory-limit");
    CHECK(summary["exit"]["signal"] == "SIGTERM");
    CHECK(std::string(summary["evidence"][0]).find("reached memory.restart_at 128.0MiB") != std::string::npos);
    CHECK(corral.stop() == 0);
}
