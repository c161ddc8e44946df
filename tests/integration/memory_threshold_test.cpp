// Memory thresholds armed in the kernel and a sampler that reads little while nothing changes. On hybrid
// hosts (v1 memory) memory.restart_at and memory.snapshot_at are cgroup thresholds on an eventfd: with a
// sample_interval of an hour the sampler never runs during these tests, so only the kernel's notification
// can catch the crossing. Every worker runs in a memory-limited cgroup set up before it starts, and every
// test is bounded in time.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/postmortem_bundles.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

nlohmann::json status_of(const fs::path& state_dir) {
    const std::string text = read_file(state_dir / "status.json");
    return text.empty() ? nlohmann::json() : nlohmann::json::parse(text, nullptr, false);
}

}  // namespace

TEST_CASE("memory.restart_at is caught by the kernel's threshold, without a sample") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "1h"

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
    const std::string evidence = summary["evidence"][0];
    CAPTURE(evidence);
    CHECK(evidence.find("reached memory.restart_at 128.0MiB") != std::string::npos);
    // Caught as it crossed, not seconds later: 4 MiB every 40 ms gives a sampler 100 MiB per second to miss.
    const auto at = evidence.find("memory ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(evidence.substr(at + 7)) < 160.0);
    CHECK(corral.stop() == 0);
}

TEST_CASE("memory.snapshot_at is caught by the kernel's threshold, and the snapshot lands in the post-mortem") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "1h"

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
    CHECK(lines_containing(state / "corral.log", "reached memory.snapshot_at").size() == 1);
    bool snapshot = false;
    for (const auto& entry : fs::directory_iterator(bundle)) snapshot = snapshot || entry.path().extension() == ".heapsnapshot";
    CHECK(snapshot);
    CHECK(corral.stop() == 0);
}

TEST_CASE("status.json is not rewritten while nothing in it changes") {
    REQUIRE_CGROUPS();
    TempDir dir;
    dir.write("corral.toml", R"(
[supervisor]
sample_interval = "100ms"

[services.idle]
command = ["sleep", "600"]
memory = { max = "256MiB" }
)");
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    const auto sampled = [&] {
        const auto status = status_of(state);
        return status.is_object() && status["instances"].size() == 1 && status["instances"][0]["memory"].is_object() &&
               status["instances"][0]["state"] == "running";
    };
    REQUIRE(wait_until(sampled, 10s));
    std::this_thread::sleep_for(1s);  // a write already due (at most 500 ms after the last) lands
    const std::string written_at = status_of(state)["written_at"];
    // 30 ticks of the sampler, each of which used to rewrite the file.
    std::this_thread::sleep_for(3s);
    CHECK(status_of(state)["written_at"] == written_at);
    CHECK(status_of(state)["instances"][0]["state"] == "running");
    CHECK(corral.stop() == 0);
}

TEST_CASE("usage that moves is read in full at the next tick, idle or not") {
    REQUIRE_CGROUPS();
    TempDir dir;
    const auto go = dir / "go";
    const auto script = dir.write("grow.js", subst(R"(
const fs = require('fs');
const poll = setInterval(() => {
  if (!fs.existsSync('${go}')) return;
  clearInterval(poll);
  globalThis.kept = Buffer.alloc(32 << 20, 1);
  setInterval(() => {}, 1 << 30);
}, 100);
)", {{"go", go.string()}}));
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "200ms"

[services.grow]
command = ["node", "${script}"]
memory = { max = "1GiB" }
)", {{"script", script.string()}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    const auto current = [&]() -> long long {
        const auto status = status_of(state);
        if (!status.is_object() || status["instances"].size() != 1 || !status["instances"][0]["memory"].is_object()) return 0;
        return status["instances"][0]["memory"]["current"].get<long long>();
    };
    REQUIRE(wait_until([&] { return current() > 0; }, 10s));
    std::this_thread::sleep_for(2s);  // Node's start-up is over
    const long long before = current();
    dir.write("go", "");
    // Far from the limit, so that nothing is reclaimed to make room; Node may free a few MiB meanwhile.
    CHECK(wait_until([&] { return current() >= before + (24ll << 20); }, 10s));
    MESSAGE("before " << (before >> 10) << " KiB, now " << (current() >> 10) << " KiB");
    CHECK(corral.stop() == 0);
}
