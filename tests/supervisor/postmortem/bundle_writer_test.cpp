#include "supervisor/postmortem/bundle_writer.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/support/file_size_limit.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::postmortem;
using corral::test::read_file;
using corral::test::TempDir;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::system_clock;

namespace {

BundleInput input_at(const TempDir& dir, long ms_since_epoch, corral::policies::ExitReason reason) {
    BundleInput input;
    input.state_dir = dir.path();
    input.service = "my-api";
    input.index = 1;
    input.pid = 4242;
    input.classification.reason = reason;
    input.classification.evidence = {"cgroup oom_kill counter: 0 -> 1", "killed by SIGKILL"};
    input.status.signal = 9;
    input.started_at = system_clock::time_point(milliseconds(ms_since_epoch - 60'123));
    input.ended_at = system_clock::time_point(milliseconds(ms_since_epoch));
    input.limits.memory.max = 256ull << 20;
    input.peak = 256ull << 20;
    input.max = 256ull << 20;
    input.kernel_log = "Memory cgroup out of memory: Killed process 4242 (node)\n";
    input.memory_stat = "total_rss 1\n";
    input.memory_csv = "time_ms,current\n1,2\n";
    input.stdout_log = dir / "logs/my-api-1.out.log";
    input.stderr_log = dir / "logs/my-api-1.err.log";
    return input;
}

}  // namespace

TEST_CASE("bundle writer: a complete bundle with its summary - log tails and Node's files moved in") {
    TempDir dir;
    std::string many;
    for (int i = 0; i < 300; ++i) many += "line " + std::to_string(i) + "\n";
    dir.write("logs/my-api-1.out.log", many);
    dir.write("logs/my-api-1.err.log", "boom\n");
    dir.write("diagnostics/report.1.json", "{}");
    BundleInput input = input_at(dir, 1'795'600'000'123, corral::policies::ExitReason::oom_kill);
    input.diagnostics_dir = dir / "diagnostics";
    corral::config::PostmortemSpec retention;
    auto id = write_bundle(input, retention);
    REQUIRE(id.ok());
    CHECK(*id == "my-api-1/20261125T094640.123Z-oom-kill");
    const fs::path bundle = dir / "postmortem" / *id;
    CHECK_FALSE(fs::exists(bundle.string() + ".tmp"));
    const auto summary = nlohmann::json::parse(read_file(bundle / "summary.json"));
    CHECK(summary["id"] == *id);
    CHECK(summary["reason"] == "oom-kill");
    CHECK(summary["pid"] == 4242);
    CHECK(summary["exit"]["code"].is_null());
    CHECK(summary["exit"]["signal"] == "SIGKILL");
    CHECK(summary["uptime_ms"] == 60'123);
    CHECK(summary["started_at"] == "2026-11-25T09:45:40.000Z");
    CHECK(summary["limits"]["memory_max"] == 256ll << 20);
    CHECK(summary["limits"]["pids_max"].is_null());
    CHECK(summary["files"] == nlohmann::json::array(
                                  {"kernel.log", "memory.stat", "memory.csv", "stdout.log", "stderr.log", "report.1.json"}));
    const std::string out = read_file(bundle / "stdout.log");
    CHECK(std::count(out.begin(), out.end(), '\n') == 200);
    CHECK(out.rfind("line 100\n", 0) == 0);
    CHECK(read_file(bundle / "stderr.log") == "boom\n");
    CHECK(read_file(bundle / "report.1.json") == "{}");
    CHECK_FALSE(fs::exists(dir / "diagnostics/report.1.json"));
}

TEST_CASE("bundle writer: keeps postmortem.keep bundles per instance - the oldest go") {
    TempDir dir;
    corral::config::PostmortemSpec retention;
    retention.keep = 2;
    for (long t = 0; t < 4; ++t) {
        REQUIRE(write_bundle(input_at(dir, 1'795'600'000'000 + t * 1000, corral::policies::ExitReason::signal), retention).ok());
    }
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir / "postmortem/my-api-1")) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"20261125T094642.000Z-signal", "20261125T094643.000Z-signal"});
}

TEST_CASE("bundle writer: the size cap removes the oldest bundles of any instance but never the new one") {
    TempDir dir;
    corral::config::PostmortemSpec retention;
    retention.max_size = 1;  // smaller than any bundle
    REQUIRE(write_bundle(input_at(dir, 1'795'600'000'000, corral::policies::ExitReason::signal), retention).ok());
    auto newest = write_bundle(input_at(dir, 1'795'600'005'000, corral::policies::ExitReason::exit_code), retention);
    REQUIRE(newest.ok());
    CHECK(fs::exists(dir / "postmortem" / *newest));
    CHECK_FALSE(fs::exists(dir / "postmortem/my-api-1/20261125T094640.000Z-signal"));
}

TEST_CASE("bundle writer: two deaths in the same millisecond get two bundles") {
    TempDir dir;
    corral::config::PostmortemSpec retention;
    auto first = write_bundle(input_at(dir, 1'795'600'000'000, corral::policies::ExitReason::signal), retention);
    auto second = write_bundle(input_at(dir, 1'795'600'000'000, corral::policies::ExitReason::signal), retention);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(*first != *second);
}

TEST_CASE("bundle writer: a bundle that cannot be written names the errno and leaves no temporary directory") {
    TempDir dir;
    corral::config::PostmortemSpec retention;
    BundleInput input = input_at(dir, 1'795'600'000'000, corral::policies::ExitReason::signal);
    input.memory_csv = std::string(64 * 1024, '1');
    corral::Result<std::string> id = std::string();
    {
        corral::test::FileSizeLimit disk(1024);  // every file stops at 1 KiB: EFBIG, as ENOSPC would
        id = write_bundle(input, retention);
    }
    REQUIRE_FALSE(id.ok());
    CHECK(id.error().code == EFBIG);
    CHECK(id.error().message().find("File too large") != std::string::npos);
    CHECK(id.error().message().find("memory.csv") != std::string::npos);
    std::vector<fs::path> left;
    for (const auto& entry : fs::recursive_directory_iterator(dir / "postmortem")) left.push_back(entry.path());
    CHECK(left == std::vector<fs::path>{dir / "postmortem" / "my-api-1"});
    CHECK(write_bundle(input, retention).ok());  // with room again, the same bundle is written
}
