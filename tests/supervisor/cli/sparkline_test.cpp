// Sparklines and the memory chart of `corral postmortem --show`: exact pictures for known series.
#include "supervisor/cli/sparkline.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/doctest_strings.hpp"

using namespace corral::supervisor::cli;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("sparkline: one block per value from the lowest to the highest of the eight") {
    CHECK(sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 8) == "▁▂▃▄▅▆▇█");
    CHECK(sparkline({7, 0, 3.5}, 10) == "█▁▅");  // 3.5 of 7 rounds to the fifth block
}

TEST_CASE("sparkline: a longer series keeps the maximum of each bucket") {
    CHECK(resample_max({1, 5, 2, 8, 3, 3}, 3) == std::vector<double>{5, 8, 3});
    CHECK(sparkline({1, 5, 2, 8, 3, 3}, 3) == "▅█▄");
    // 7 values in 3 buckets: 2 + 2 + 3; the spike in the last one survives.
    CHECK(resample_max({1, 1, 2, 2, 0, 0, 9}, 3) == std::vector<double>{1, 2, 9});
    std::vector<double> ramp;
    for (int i = 0; i < 1000; ++i) ramp.push_back(i);
    CHECK(display_width(sparkline(ramp, 40)) == 40);
    CHECK(sparkline(ramp, 40).ends_with("█"));
}

TEST_CASE("sparkline: a shorter series is not stretched") {
    CHECK(sparkline({1, 2}, 10) == "▅█");
    CHECK(resample_max({1, 2}, 10) == std::vector<double>{1, 2});
}

TEST_CASE("sparkline: flat series are full at their level and zeros lie flat") {
    CHECK(sparkline({4, 4, 4}, 3) == "███");
    CHECK(sparkline({0, 0, 0}, 3) == "▁▁▁");
}

TEST_CASE("sparkline: a top scale shows small values as small") {
    CHECK(sparkline({0, 50, 100}, 3, 100.0) == "▁▅█");
    CHECK(sparkline({0, 1}, 2, 100.0) == "▁▁");
    CHECK(sparkline({0, 200}, 2, 100.0) == "▁█");  // above the top: the top gives way
}

TEST_CASE("sparkline: empty series and missing values") {
    CHECK(sparkline({}, 10) == "");
    CHECK(sparkline({1, 2, 3}, 0) == "");
    CHECK(sparkline({0, kNaN, 7}, 3) == "▁ █");
    CHECK(sparkline({kNaN, kNaN}, 2) == "  ");
    CHECK(std::isnan(resample_max({kNaN, kNaN, 1, 2}, 2)[0]));
}

TEST_CASE("chart: rows of MiB with the limit drawn as a dashed line") {
    const std::vector<std::string> expected = {
        "256 ┤╌╌╌█ memory.max",
        "192 ┤   █",
        "128 ┤  ██",
        " 64 ┤ ███",
    };
    CHECK(chart({0, 64 * kMiB, 128 * kMiB, 256 * kMiB}, 4, 4, 256 * kMiB) == expected);
}

TEST_CASE("chart: partial blocks and an x axis") {
    const std::vector<std::string> expected = {
        "300 ┤ ▄█",
        "200 ┤ ██",
        "100 ┤███",
        "    └───",
        "     -2s 0s",
    };
    CHECK(chart({100 * kMiB, 250 * kMiB, 300 * kMiB}, 10, 3, std::nullopt, ChartAxis{"-2s", "0s"}) == expected);
}

TEST_CASE("chart: without a limit the scale rounds up to round MiB per row") {
    const auto lines = chart({10 * kMiB, 243.1 * kMiB}, 2, 8, std::nullopt);
    REQUIRE(lines.size() == 8);
    CHECK(lines.front() == "320 ┤  ");  // 243.1 / 8 rows -> 40 MiB a row
    CHECK(lines.back() == " 40 ┤▂█");
}

TEST_CASE("chart: above a limit the line sits in the row of the limit") {
    const std::vector<std::string> expected = {
        "300 ┤ █",
        "200 ┤ █",
        "100 ┤╌█ memory.max",
    };
    CHECK(chart({0, 300 * kMiB}, 2, 3, 100 * kMiB) == expected);
}

TEST_CASE("chart: anything above zero shows in the bottom row and gaps stay blank") {
    const std::vector<std::string> expected = {
        "256 ┤╌╌╌ memory.max",
        "128 ┤▁ █",
    };
    CHECK(chart({1, kNaN, 128 * kMiB}, 3, 2, 256 * kMiB) == expected);
}

TEST_CASE("chart: a long series is resampled to the width") {
    std::vector<double> values;
    for (int i = 0; i < 600; ++i) values.push_back(i * kMiB);
    const auto lines = chart(values, 72, 8, 1024 * kMiB, ChartAxis{"-5m00s", "0s"});
    REQUIRE(lines.size() == 10);
    for (std::size_t i = 1; i < 8; ++i) CHECK(display_width(lines[i]) == 4 + 2 + 72);
    CHECK(lines[0] == "1024 ┤" + [] {
              std::string dashes;
              for (int i = 0; i < 72; ++i) dashes += "╌";
              return dashes;
          }() + " memory.max");
    CHECK(display_width(lines[9]) == 6 + 72);
    CHECK(lines[9].ends_with("0s"));
}

TEST_CASE("chart: no values means no samples") {
    CHECK(chart({}, 72, 8, 256 * kMiB) == std::vector<std::string>{"no samples"});
    CHECK(chart({kNaN, kNaN}, 72, 8, std::nullopt) == std::vector<std::string>{"no samples"});
}
