#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include "supervisor/config/units.hpp"

using corral::config::parse_byte_rate;
using corral::config::parse_duration;
using corral::config::parse_message_rate;
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

TEST_CASE("parse_message_rate accepts a number above 0 per second or per minute") {
    struct Case {
        std::string_view text;
        double expected;
    };
    const Case cases[] = {
        {"2000/s", 2000.0},
        {"1/s", 1.0},
        {"007/s", 7.0},
        {"0.5/s", 0.5},
        {"0.001/s", 0.001},
        {"2.25/s", 2.25},
        {"30/m", 0.5},
        {"1/m", 1.0 / 60},
        {"1.5/m", 0.025},
        {"120000/m", 2000.0},
        {"1000000000/s", 1e9},
        {"0.0000000001/s", 1e-10},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const auto parsed = parse_message_rate(c.text);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == doctest::Approx(c.expected).epsilon(1e-12));
    }
}

TEST_CASE("parse_message_rate rejects everything else") {
    const std::string huge(400, '9');
    const std::string tiny = "0." + std::string(400, '0') + "1/s";
    const std::string huge_rate = huge + "/s";
    const std::string_view cases[] = {
        "",       "/s",     "/m",      "2000",   "fast",   "2000/h", "2000/d", "2000/ms", "0/s",    "0/m",
        "0.0/s",  "000/s",  "-5/s",    "+5/s",   "5 /s",   "5/ s",   " 5/s",   "5/s ",    "5/S",    "5/M",
        "5/sec",  "5/min",  "5s",      "5/",     ".5/s",   "5./s",   "1e3/s",  "5//s",    "5/s/s",  "0x10/s",
        "inf/s",  "nan/s",  "5,0/s",   "1_000/s", "2000/s\n", std::string_view("5\0/s", 4),
        huge_rate,  // does not fit a double
        tiny,       // rounds to nothing
    };
    for (const auto text : cases) {
        CAPTURE(text);
        CHECK_FALSE(parse_message_rate(text).has_value());
    }
}

TEST_CASE("parse_byte_rate accepts a size above 0 per second") {
    CHECK(parse_byte_rate("20MiB/s") == 20ull << 20);
    CHECK(parse_byte_rate("4096/s") == 4096u);
    CHECK(parse_byte_rate("1/s") == 1u);
    CHECK(parse_byte_rate("1B/s") == 1u);
    CHECK(parse_byte_rate("10kB/s") == 10'000u);
    CHECK(parse_byte_rate("10KB/s") == 10'000u);
    CHECK(parse_byte_rate("512K/s") == 512ull << 10);
    CHECK(parse_byte_rate("1GB/s") == 1'000'000'000u);
    CHECK(parse_byte_rate("2GiB/s") == 2ull << 30);
    CHECK(parse_byte_rate("1TiB/s") == 1ull << 40);
    CHECK(parse_byte_rate("16777215TiB/s") == 16777215ull << 40);
}

TEST_CASE("parse_byte_rate rejects everything else") {
    const std::string_view cases[] = {
        "",        "/s",       "20MiB",    "20MiB/m",  "20MiB/h",   "20MiB/S",  "20MiB/sec", "20MiBs",
        "0/s",     "0MiB/s",   "1.5MiB/s", "-1MiB/s",  "+1MiB/s",   "20mib/s",  "20 MiB/s",  "20MiB /s",
        "20MiB/s ", " 20MiB/s", "MiB/s",   "20MiB//s", "20MiB/s/s", "1e6/s",    "20PiB/s",
        "16777216TiB/s",  // 2^64 bytes
    };
    for (const auto text : cases) {
        CAPTURE(text);
        CHECK_FALSE(parse_byte_rate(text).has_value());
    }
}
