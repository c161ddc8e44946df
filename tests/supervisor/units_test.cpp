#include <doctest/doctest.h>

#include <optional>
#include <string_view>

#include "supervisor/config/units.hpp"

using corral::config::parse_duration;
using corral::config::parse_percent;
using corral::config::parse_size;
using namespace std::chrono_literals;

TEST_CASE("parse_duration accepts a number with a unit") {
    struct Case {
        std::string_view text;
        std::chrono::milliseconds expected;
    };
    const Case cases[] = {
        {"0ms", 0ms},
        {"0s", 0ms},
        {"250ms", 250ms},
        {"5s", 5s},
        {"2m", 2min},
        {"1h", 1h},
        {"24h", 24h},
        {"007s", 7s},
        {"1.5s", 1500ms},
        {"0.25s", 250ms},
        {"1.5m", 90s},
        {"0.5h", 30min},
        {"1.0001s", 1000ms},   // 1000.1ms rounds down
        {"1.0005s", 1001ms},   // halves round up
        {"1.5ms", 2ms},
        {"0.4ms", 0ms},
        {"0.000000000000000000001h", 0ms},  // fraction digits past the 18th are ignored
        {"9223372036854775807ms", std::chrono::milliseconds::max()},
        {"9223372036854775s", 9223372036854775s},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const auto parsed = parse_duration(c.text);
        REQUIRE(parsed.has_value());
        CHECK(parsed->count() == c.expected.count());
    }
}

TEST_CASE("parse_duration rejects everything else") {
    const std::string_view cases[] = {
        "",        "5",       "0",     "s",      "ms",    ".5s",    "5.s",     "1.5.5s", "-5s",   "+5s",
        "5 s",     " 5s",     "5s ",   "5sec",   "5S",    "5MS",    "5d",      "5us",    "5ns",   "1m30s",
        "5ss",     "1e3ms",   "0x10s", "5,0s",   "∞s",    std::string_view("5\0s", 3),
        "99999999999999999999s",       // does not fit 64 bits at all
        "9223372036854775808ms",       // one past the largest millisecond count
        "9223372036854776s",           // fits as seconds, not as milliseconds
        "9223372036854775807.5ms",     // the fraction rounds past the largest count
        "3000000000000000h",
    };
    for (const auto text : cases) {
        CAPTURE(text);
        CHECK_FALSE(parse_duration(text).has_value());
    }
}

TEST_CASE("parse_size accepts bytes and the listed units") {
    struct Case {
        std::string_view text;
        std::uint64_t expected;
    };
    const Case cases[] = {
        {"0", 0},
        {"4096", 4096},
        {"512B", 512},
        {"10kB", 10'000},
        {"10KB", 10'000},
        {"10MB", 10'000'000},
        {"1GB", 1'000'000'000},
        {"1TB", 1'000'000'000'000},
        {"512K", 512ull << 10},
        {"512KiB", 512ull << 10},
        {"10M", 10ull << 20},
        {"512MiB", 512ull << 20},
        {"2G", 2ull << 30},
        {"2GiB", 2ull << 30},
        {"1T", 1ull << 40},
        {"1TiB", 1ull << 40},
        {"18446744073709551615", 18446744073709551615ull},
        {"16777215TiB", 16777215ull << 40},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const auto parsed = parse_size(c.text);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == c.expected);
    }
}

TEST_CASE("parse_size rejects everything else") {
    const std::string_view cases[] = {
        "",      "B",     "MiB",   "10mb",  "10kb",   "10Kb",   "10mib", "10k",    "10b",   "1.5MiB",
        "1.0G",  "-1",    "+1",    "-5MiB", "10 MiB", " 10MiB", "10MiB ", "10MiBs", "10Mi", "10PiB",
        "10P",   "1e6",   "0x100", "1_000",
        "18446744073709551616",  // one past the largest uint64
        "16777216TiB",           // 2^64 bytes
        "99999999999999999999B",
    };
    for (const auto text : cases) {
        CAPTURE(text);
        CHECK_FALSE(parse_size(text).has_value());
    }
}

TEST_CASE("parse_percent accepts a whole number and a percent sign") {
    CHECK(parse_percent("0%") == 0u);
    CHECK(parse_percent("50%") == 50u);
    CHECK(parse_percent("150%") == 150u);
    CHECK(parse_percent("007%") == 7u);
    CHECK(parse_percent("100000%") == 100'000u);
    CHECK(parse_percent("18446744073709551615%") == 18446744073709551615ull);
}

TEST_CASE("parse_percent rejects everything else") {
    const std::string_view cases[] = {
        "",     "%",     "50",    "1.5%",  "-50%",  "+50%",  "50 %",  " 50%",  "50% ",
        "50%%", "%50",   "50pct", "0x10%", "1e2%",  std::string_view("5\0%", 3),
        "18446744073709551616%",  // does not fit 64 bits
    };
    for (const auto text : cases) {
        CAPTURE(text);
        CHECK_FALSE(parse_percent(text).has_value());
    }
}
