// corral logs beyond one file at a time: out and err merged by arrival time, read from the files when no
// daemon answers, the json format, corral flush, --since.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kInterleaved = "line 0\nline 1\nline 2\nline 3\ndone\n";

void write_service(const TempDir& dir, const std::string& logs = "{}") {
    dir.write("corral.toml", subst(R"(
[services.talk]
command = ["node", "${fixture}"]
env = { LINES = "4", LATE_FILE = "${late}" }
logs = ${logs}
)", {{"fixture", fixture("interleave.js")}, {"late", (dir / "late").string()}, {"logs", logs}}));
}

bool logged(const TempDir& dir, const std::string& text) {
    return read_file(dir / ".corral/logs/talk-0.out.log").find(text) != std::string::npos;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

// Unix ms as "2026-12-07T10:00:00.123Z".
std::string iso(std::int64_t ms) {
    const std::time_t seconds = ms / 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
    return text;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("corral logs merges out and err by arrival time - from the daemon - and from the files after shutdown") {
    TempDir dir;
    write_service(dir);
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return logged(dir, "done"); }, 15s));
    CHECK(read_file(dir / ".corral/logs/talk-0.err.log") == "line 1\nline 3\n");

    const auto live = run_corral(dir.path(), {"logs", "talk"});
    CHECK(live.exit_code == 0);
    CHECK(live.out == kInterleaved);
    const auto json = run_corral(dir.path(), {"logs", "talk", "--json"});
    const auto reply = nlohmann::json::parse(json.out);
    REQUIRE(reply["lines"].size() == 5);
    for (const auto& line : reply["lines"]) CHECK(line["time"].get<std::string>().ends_with("Z"));
    CHECK(reply["lines"][1]["stream"] == "err");
    CHECK(corral.stop() == 0);

    const auto files = run_corral(dir.path(), {"logs"});
    CHECK(files.exit_code == 0);
    CHECK(files.out == kInterleaved);
    CHECK(files.err.find("no daemon answered at") != std::string::npos);
    CHECK(files.err.find("reading the files in") != std::string::npos);
    const auto err_only = run_corral(dir.path(), {"logs", "talk#0", "--err", "-n", "1"});
    CHECK(err_only.out == "line 3\n");
    const auto missing = run_corral(dir.path(), {"logs", "nothere"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no logs of \"nothere\"") != std::string::npos);
}

TEST_CASE("logs.format json writes one object a line - corral logs reads it back as text") {
    TempDir dir;
    write_service(dir, R"({ format = "json" })");
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return logged(dir, "\"done\""); }, 15s));
    const auto out = json_lines(read_file(dir / ".corral/logs/talk-0.out.log"));
    REQUIRE(out.size() == 3);
    CHECK(out[0]["line"] == "line 0");
    CHECK(out[0]["stream"] == "out");
    CHECK(out[0]["instance"] == "talk#0");
    CHECK(out[0]["time"].get<std::string>().size() == 24);
    CHECK(json_lines(read_file(dir / ".corral/logs/talk-0.err.log"))[1]["line"] == "line 3");
    CHECK(run_corral(dir.path(), {"logs"}).out == kInterleaved);
    CHECK(corral.stop() == 0);
    CHECK(run_corral(dir.path(), {"logs"}).out == kInterleaved);
}

TEST_CASE("corral flush empties the logs - through the daemon - and on the files without one") {
    TempDir dir;
    write_service(dir);
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return logged(dir, "done"); }, 15s));
    // From another directory: a finished CorralProcess cleans up the cgroups of its directory's state.
    TempDir elsewhere;
    const std::string file = (dir / "corral.toml").string();
    const auto flushed = run_corral(elsewhere.path(), {"flush", "-c", file});
    CHECK(flushed.exit_code == 0);
    CHECK(flushed.out == "flushed the logs of talk#0\n");
    CHECK(read_file(dir / ".corral/logs/talk-0.out.log").empty());
    CHECK(read_file(dir / ".corral/logs/talk-0.err.log").empty());
    // The daemon writes on into the emptied files.
    dir.write("late", "");
    REQUIRE(wait_until([&] { return logged(dir, "late out"); }, 15s));
    CHECK(run_corral(elsewhere.path(), {"logs", "-c", file}).out == "late out\nlate err\n");
    CHECK(corral.stop() == 0);

    const auto offline = run_corral(dir.path(), {"flush", "talk"});
    CHECK(offline.exit_code == 0);
    CHECK(offline.err.find("no daemon answered") != std::string::npos);
    CHECK(read_file(dir / ".corral/logs/talk-0.out.log").empty());
    CHECK_FALSE(fs::exists(dir / ".corral/logs/talk-0.out.log.idx"));
    CHECK(run_corral(dir.path(), {"logs"}).out.empty());
}

TEST_CASE("corral logs --since keeps the lines that arrived since then") {
    TempDir dir;
    write_service(dir);
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return logged(dir, "done"); }, 15s));
    const std::int64_t since = now_ms() + 1;  // after every line so far
    std::this_thread::sleep_for(5ms);
    dir.write("late", "");
    REQUIRE(wait_until([&] { return read_file(dir / ".corral/logs/talk-0.err.log").find("late") != std::string::npos; },
                       15s));
    CHECK(run_corral(dir.path(), {"logs", "--since", iso(since)}).out == "late out\nlate err\n");
    CHECK(run_corral(dir.path(), {"logs", "--since", "1h"}).out == std::string(kInterleaved) + "late out\nlate err\n");
    const auto bad = run_corral(dir.path(), {"logs", "--since", "yesterday"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--since \"yesterday\"") != std::string::npos);
    CHECK(corral.stop() == 0);
    CHECK(run_corral(dir.path(), {"logs", "--since", iso(since)}).out == "late out\nlate err\n");
}

TEST_CASE("corral logs -f without a daemon follows the files - from their start after a flush") {
    TempDir dir;
    write_service(dir);
    {
        CorralProcess corral(dir.path(), {"up"});
        REQUIRE(wait_until([&] { return logged(dir, "done"); }, 15s));
        CHECK(corral.stop() == 0);
    }
    CorralProcess follower(dir.path(), {"logs", "-f", "-n", "1"});
    const auto out = [&] { return read_file(dir / "corral.stdout"); };
    REQUIRE(wait_until([&] { return out() == "line 3\ndone\n"; }, 10s));  // -n: the last line of each log
    std::ofstream(dir / ".corral/logs/talk-0.err.log", std::ios::app) << "appended\n";
    REQUIRE(wait_until([&] { return out() == "line 3\ndone\nappended\n"; }, 10s));
    std::ofstream(dir / ".corral/logs/talk-0.out.log", std::ios::trunc) << "after flush\n";
    REQUIRE(wait_until([&] { return out() == "line 3\ndone\nappended\nafter flush\n"; }, 10s));
    CHECK(follower.stop() == 128 + SIGTERM);
    CHECK(follower.stderr_text().find("no daemon answered") != std::string::npos);
}
