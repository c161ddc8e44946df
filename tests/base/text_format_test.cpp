// Every way corral writes times, durations, sizes and rates for people.
#include "base/text_format.hpp"

#include <doctest/doctest.h>

using namespace corral;
using std::chrono::milliseconds;

namespace {

constexpr double kMB = 1'000'000;

}  // namespace

TEST_CASE("text format: durations, approximately") {
    CHECK(format_duration(milliseconds(250)) == "250ms");
    CHECK(format_duration(milliseconds(3'200)) == "3.2s");
    CHECK(format_duration(milliseconds(245'000)) == "4m05s");
    CHECK(format_duration(milliseconds(7'800'000)) == "2h10m");
    CHECK(format_duration(milliseconds(273'600'000)) == "3d04h");
}

TEST_CASE("text format: durations and sizes as a service file writes them") {
    CHECK(duration_as_written(milliseconds(0)) == "0s");
    CHECK(duration_as_written(milliseconds(5'000)) == "5s");
    CHECK(duration_as_written(milliseconds(250)) == "250ms");
    CHECK(duration_as_written(milliseconds(3'600'000)) == "1h");
    CHECK(duration_as_written(milliseconds(120'000)) == "2m");
    CHECK(size_as_written(0) == "0 bytes");
    CHECK(size_as_written(4ull << 20) == "4MiB");
    CHECK(size_as_written(2ull << 30) == "2GiB");
    CHECK(size_as_written(500'000'000) == "500MB");
    CHECK(size_as_written(4097) == "4097 bytes");
}

TEST_CASE("text format: sizes in binary units with one decimal") {
    CHECK(format_size(0) == "0B");
    CHECK(format_size(1023) == "1023B");
    CHECK(format_size(1536) == "1.5KiB");
    CHECK(format_size(254913331) == "243.1MiB");
    CHECK(format_size(268435456) == "256.0MiB");
    CHECK(format_size(3ull << 30) == "3.0GiB");
    CHECK(format_size(std::optional<std::uint64_t>{}) == "-");
}

TEST_CASE("text format: periods and byte rates, as cooling reasons say them") {
    CHECK(format_period(milliseconds(10'000)) == "10s");
    CHECK(format_period(milliseconds(60'000)) == "60s");
    CHECK(format_period(milliseconds(120'000)) == "120s");
    CHECK(format_period(milliseconds(300'000)) == "5m");
    CHECK(format_period(milliseconds(7'200'000)) == "2h");
    CHECK(format_period(milliseconds(125'000)) == "2m05s");
    CHECK(format_period(milliseconds(1500)) == "1.5s");
    CHECK(format_period(milliseconds(250)) == "250ms");
    CHECK(format_byte_rate(48.2 * kMB, false) == "48.2MB/s");
    CHECK(format_byte_rate(20.0 * 1024 * 1024, true) == "20.0MiB/s");
    CHECK(format_byte_rate(512, false) == "512B/s");
    CHECK(format_byte_rate(3e9, false) == "3.0GB/s");
}

TEST_CASE("text format: UTC times, with milliseconds") {
    const std::chrono::system_clock::time_point at{milliseconds(1'795'612'500'123)};
    CHECK(iso_utc(at) == "2026-11-25T13:15:00.123Z");
    CHECK(compact_utc(at) == "20261125T131500.123Z");
}

TEST_CASE("text for logs: a long command line is cut and marked with its full size") {
    CHECK(corral::clip_for_log("node server.js") == "node server.js");
    const std::string huge(2 << 20, 'a');
    const std::string clipped = corral::clip_for_log(huge);
    CHECK(clipped == std::string(200, 'a') + "... (2.0MiB)");
    CHECK(corral::clip_for_log("abcdef", 3) == "abc... (6B)");
}
