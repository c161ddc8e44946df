// The arrival-time index beside each log, and reading logs back: tails across rotated files, --since,
// the json format, merging by time, ISO times.
#include "supervisor/instance/log_reader.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "supervisor/instance/log_file.hpp"
#include "supervisor/instance/log_index.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor;
using corral::test::read_file;
using corral::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> texts(const std::vector<LogLine>& lines) {
    std::vector<std::string> out;
    for (const auto& line : lines) out.push_back(line.line);
    return out;
}

}  // namespace

TEST_CASE("log index: one record per batch - rotated and flushed with its log") {
    TempDir dir;
    LogFile log(dir / "api-0.out.log", 10, 2);
    log.append("12345\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    log.append("abcd\n");  // rotates first: the index goes along
    const auto rotated = read_log_index(dir / "api-0.out.log.1.idx");
    const auto live = read_log_index(dir / "api-0.out.log.idx");
    REQUIRE(rotated.size() == 1);
    REQUIRE(live.size() == 1);
    CHECK(rotated[0].offset == 0);
    CHECK(live[0].offset == 0);
    CHECK(live[0].unix_ms > rotated[0].unix_ms);
    CHECK(time_at(live, 3) == live[0].unix_ms);
    CHECK(time_at({}, 3) == 0);

    log.flush();
    CHECK(read_file(dir / "api-0.out.log").empty());
    CHECK_FALSE(fs::exists(dir / "api-0.out.log.1"));
    CHECK_FALSE(fs::exists(dir / "api-0.out.log.idx"));
    CHECK_FALSE(fs::exists(dir / "api-0.out.log.1.idx"));
    log.append("after\n");
    CHECK(read_file(dir / "api-0.out.log") == "after\n");
    CHECK(read_log_index(dir / "api-0.out.log.idx").size() == 1);
}

TEST_CASE("read_log: the last lines across rotated files, oldest first, each with its time - since filters") {
    TempDir dir;
    LogFile log(dir / "a-0.out.log", 12, 3);
    log.append("one\ntwo\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    log.append("three\n");  // rotates: one, two are in .1
    const auto all = read_log(dir / "a-0.out.log", "a#0", "out", {10, std::nullopt});
    CHECK(texts(all) == std::vector<std::string>{"one", "two", "three"});
    CHECK(all[0].instance == "a#0");
    CHECK(all[2].unix_ms > all[1].unix_ms);
    CHECK(texts(read_log(dir / "a-0.out.log", "a#0", "out", {2, std::nullopt})) ==
          std::vector<std::string>{"two", "three"});
    CHECK(texts(read_log(dir / "a-0.out.log", "a#0", "out", {10, all[2].unix_ms})) ==
          std::vector<std::string>{"three"});
}

TEST_CASE("json format: one object a line - read back as its text, time and stream") {
    TempDir dir;
    LogFile log(dir / "a-0.err.log", 1 << 20, 1, "a#0", "err");
    log.set_json(true);
    log.append("hello \"you\"\nbad \xff byte\n");
    const std::string text = read_file(dir / "a-0.err.log");
    CHECK(text.starts_with("{\"time\":\""));
    CHECK(text.find(R"("stream":"err","instance":"a#0","line":"hello \"you\""})") != std::string::npos);
    CHECK(text.find("bad \xef\xbf\xbd byte") != std::string::npos);  // U+FFFD
    const auto lines = read_log(dir / "a-0.err.log", "ignored", "out", {10, std::nullopt});
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].line == "hello \"you\"");
    CHECK(lines[0].stream == "err");
    CHECK(lines[0].instance == "a#0");
    CHECK(lines[0].unix_ms > 0);
}

TEST_CASE("merge_by_time: by time - equal times keep the order of the logs") {
    const std::vector<LogLine> out = {{1, "a#0", "out", "o1"}, {5, "a#0", "out", "o5"}};
    const std::vector<LogLine> err = {{1, "a#0", "err", "e1"}, {3, "a#0", "err", "e3"}};
    CHECK(texts(merge_by_time({out, err})) == std::vector<std::string>{"o1", "e1", "e3", "o5"});
}

TEST_CASE("parse_iso_utc and iso_utc_ms") {
    CHECK(parse_iso_utc("1970-01-01T00:00:01.500Z") == 1500);
    CHECK(parse_iso_utc("1970-01-01T00:01") == 60'000);
    CHECK(parse_iso_utc("2026-12-07T10:00:00Z") == parse_iso_utc("2026-12-07T10:00:00.000Z"));
    CHECK_FALSE(parse_iso_utc("10m"));
    CHECK_FALSE(parse_iso_utc("2026-13-07T10:00:00Z"));
    CHECK_FALSE(parse_iso_utc("2026-12-07T10:00:00+02:00"));
    CHECK(iso_utc_ms(1500) == "1970-01-01T00:00:01.500Z");
}
