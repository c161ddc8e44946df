// The CPU percentage of an instance from readings of its cumulative CPU time, on a fake clock.
#include <doctest/doctest.h>

#include "policies/cpu_percent.hpp"

using namespace corral::policies;
using namespace std::chrono_literals;

TEST_CASE("cpu percent: the CPU time between two readings over the wall time between them") {
    CHECK(cpu_percent(500'000, 1'000'000) == doctest::Approx(50.0));
    CHECK(cpu_percent(2'000'000, 1'000'000) == doctest::Approx(200.0));  // two CPUs busy
    CHECK(cpu_percent(0, 1'000'000) == doctest::Approx(0.0));
    CHECK_FALSE(cpu_percent(10, 0).has_value());
    CHECK_FALSE(cpu_percent(10, -5).has_value());
}

TEST_CASE("cpu percent: readings of a busy and an idle instance, a counter that starts over, a program gone") {
    const TimePoint t0{};
    CpuPercent meter;
    CHECK_FALSE(meter.sample(1'000'000, t0).has_value());  // the first reading has nothing to compare with
    CHECK_FALSE(meter.last().has_value());
    CHECK(meter.sample(1'990'000, t0 + 1s) == doctest::Approx(99.0));  // busy: 0.99 s of CPU in 1 s
    CHECK(meter.last() == doctest::Approx(99.0));
    CHECK(meter.sample(2'000'000, t0 + 3s) == doctest::Approx(0.5));  // idle: 10 ms in 2 s
    // A reading at the same time (or earlier) changes nothing.
    CHECK(meter.sample(9'000'000, t0 + 3s) == doctest::Approx(0.5));
    // The counter went back (the group was made again): start over.
    CHECK_FALSE(meter.sample(100, t0 + 4s).has_value());
    CHECK(meter.sample(250'100, t0 + 4500ms) == doctest::Approx(50.0));
    meter.forget();
    CHECK_FALSE(meter.last().has_value());
    CHECK_FALSE(meter.sample(300'000, t0 + 5s).has_value());
    CHECK(meter.sample(300'000, t0 + 6s) == doctest::Approx(0.0));
}
