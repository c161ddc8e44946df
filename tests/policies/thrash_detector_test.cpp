#include "policies/thrash_detector.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {
TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }
const ThrashParams kParams{true, true, 50, milliseconds(10'000)};
}  // namespace

TEST_CASE("thrashing: high avg10 for the whole window") {
    ThrashDetector detector;
    for (long t = 0; t < 10'000; t += 1000) CHECK_FALSE(detector.on_sample(kParams, at(t), 60.0));
    CHECK(detector.on_sample(kParams, at(10'000), 60.0));
}

TEST_CASE("thrashing: one calm sample starts the window over") {
    ThrashDetector detector;
    for (long t = 0; t <= 8000; t += 1000) CHECK_FALSE(detector.on_sample(kParams, at(t), 60.0));
    CHECK_FALSE(detector.on_sample(kParams, at(9000), 10.0));
    for (long t = 10'000; t < 20'000; t += 1000) CHECK_FALSE(detector.on_sample(kParams, at(t), 60.0));
    CHECK(detector.on_sample(kParams, at(20'000), 60.0));
}

TEST_CASE("thrashing: PSI triggers keep pressure high while avg10 still lags") {
    ThrashDetector detector;
    detector.on_trigger(at(0));
    for (long t = 1000; t <= 9000; t += 1000) {
        if (t % 2000 == 0) detector.on_trigger(at(t));
        CHECK_FALSE(detector.on_sample(kParams, at(t), 5.0));
    }
    detector.on_trigger(at(10'000));
    CHECK(detector.on_sample(kParams, at(10'000), 5.0));
}

TEST_CASE("thrashing: triggers that stop firing end the episode") {
    ThrashDetector detector;
    detector.on_trigger(at(0));
    CHECK_FALSE(detector.on_sample(kParams, at(1000), 5.0));
    CHECK_FALSE(detector.on_sample(kParams, at(6000), 5.0));  // no trigger for more than two windows
    CHECK_FALSE(detector.high_since().has_value());
}

TEST_CASE("thrashing: disabled never fires") {
    ThrashDetector detector;
    const ThrashParams off{false, true, 50, milliseconds(1000)};
    for (long t = 0; t < 5000; t += 1000) CHECK_FALSE(detector.on_sample(off, at(t), 100.0));
}

TEST_CASE("memory thresholds resolve against memory.max") {
    CHECK(MemoryThreshold{std::nullopt, 90}.resolve(1000) == 900);
    CHECK(MemoryThreshold{std::nullopt, 90}.resolve(std::uint64_t{1} << 30) == 966367641);  // floor(0.9 * 2^30)
    CHECK_FALSE(MemoryThreshold{std::nullopt, 90}.resolve(std::nullopt).has_value());
    CHECK(MemoryThreshold{std::uint64_t{500}, std::nullopt}.resolve(std::nullopt) == 500);
}
