// Faults: deaths that must be classified and kept whatever their timing. A worker's child OOM-killed while
// the worker survives (a bundle of its own, and no misleading one at the later stop); an incarnation
// shorter than one sample (its bundle still has memory.csv); a worker thrashing at 64 MiB, killed every
// time. Every worker runs in a memory-limited cgroup set up before it starts; every wait has a deadline.
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/support/control_socket.hpp"
#include "tests/support/postmortem_bundles.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

std::size_t csv_rows(const fs::path& bundle) {
    const std::string csv = read_file(bundle / "memory.csv");
    return static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) - 1;  // without the header
}

}  // namespace

TEST_CASE("faults: a worker's child OOM-killed gets its own post-mortem - the worker runs on and its stop gets none") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.kid]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}" }
memory = { max = "256MiB", thrashing = false }
)", {{"fixture", fixture("oom_child.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return count_records(dir / "record", "child-exit-SIGKILL") == 1; }, 60s));
    REQUIRE(wait_until([&] { return bundles(state, "kid-0").size() == 1; }, 10s));
    const pid_t worker = records_of(dir / "record", "start").front().pid;
    const pid_t child = records_of(dir / "record", "child").front().pid;
    const fs::path bundle = bundles(state, "kid-0").front();
    CHECK(bundle.filename().string().ends_with("-oom-kill"));
    const auto summary = summary_of(bundle);
    CAPTURE(summary.dump());
    CHECK(summary["reason"] == "oom-kill");
    CHECK(summary["pid"] == child);
    CHECK(summary["exit"]["signal"] == "SIGKILL");
    const std::string first = summary["evidence"][0];
    CHECK(first == "process " + std::to_string(child) + " (node) of the instance was killed; its main process (pid " +
                       std::to_string(worker) + ") survived and keeps running");
    CHECK(read_file(bundle / "kernel.log").find("Killed process " + std::to_string(child)) != std::string::npos);
    CHECK(csv_rows(bundle) >= 1);

    // The worker survived, and a requested stop is a clean stop: no second bundle.
    CHECK(process_alive(worker));
    SocketClient client(state / "corral.sock");
    CHECK(instance_of(client, "kid#0")["pid"] == worker);
    CHECK(instance_of(client, "kid#0")["state"] == "running");
    CHECK(client.request("stop", {{"target", "kid"}})["ok"] == true);
    REQUIRE(wait_until([&] { return instance_of(client, "kid#0")["state"] == "stopped"; }, 20s));
    CHECK(bundles(state, "kid-0").size() == 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("faults: an incarnation shorter than one sample still has memory.csv in its bundle") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", R"TOML(
[supervisor]
sample_interval = "10s"

[services.brief]
command = ["node", "-e", "process.exit(3)"]
restart = "never"
memory = { max = "256MiB" }
)TOML");
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    REQUIRE(wait_until([&] { return bundles(state, "brief-0").size() == 1; }, 30s));
    const fs::path bundle = bundles(state, "brief-0").front();
    CHECK(summary_of(bundle)["reason"] == "exit-code");
    REQUIRE(fs::exists(bundle / "memory.csv"));
    CHECK(csv_rows(bundle) >= 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("faults: a worker thrashing at 64 MiB is killed every time, with pressure under the PSI threshold") {
    REQUIRE_CGROUPS();
    TempDir dir;
    // The default pressure threshold (50%): on this machine thrashing at 64 MiB stalls 10-15% of the time,
    // so only the refault rate can catch it, and it must, incarnation after incarnation.
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "500ms"
postmortem = { window = "0s" }  # every death its bundle: the test counts them

[services.thrash]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", HOLD_MB = "24", FILE_MB = "32", DATA_DIR = "${dir}" }
memory = { max = "64MiB", thrashing = { for = "4s" } }
backoff = { initial = "500ms" }
)", {{"fixture", fixture("thrash.js")}, {"record", dir / "record"}, {"dir", dir.path()}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    constexpr std::size_t kRuns = 3;
    const bool all = wait_until([&] { return bundles(state, "thrash-0").size() >= kRuns; }, 150s);
    if (!all) {
        for (const auto& bundle : bundles(state, "thrash-0")) MESSAGE(bundle.filename().string());
        for (const auto& line : lines_containing(dir / "corral.stderr", "thrash")) MESSAGE(line);
        for (const auto& record : read_records(dir / "record")) MESSAGE(record.what << " " << record.pid << " " << record.ms);
        // The whole status (one instance): its memory figures say whether it thrashed unseen or not at all.
        MESSAGE(read_file(state / "status.json"));
    }
    REQUIRE(all);
    const auto starts = records_of(dir / "record", "holding");
    for (std::size_t i = 0; i < kRuns; ++i) {
        const auto summary = summary_of(bundles(state, "thrash-0")[i]);
        const std::string why = summary["evidence"][0];
        CAPTURE(why);
        CHECK(summary["reason"] == "thrashing");
        CHECK(why.rfind("memory thrashing over the last ", 0) == 0);
        const double span = std::stod(why.substr(std::string("memory thrashing over the last ").size()));
        CHECK(span >= 4.0);
        CHECK(span <= 5.0);
        if (i < starts.size()) {
            MESSAGE("run " << i + 1 << ": killed " << summary["uptime_ms"].get<long>() << " ms after its start; " << why);
        }
    }
    CHECK(corral.stop() == 0);
}
