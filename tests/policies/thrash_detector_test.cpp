#include "policies/thrash_detector.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {

TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }
const ThrashParams kParams{true, true, 50, milliseconds(10'000)};

// Feeds samples every `step` ms from `from` to `to` (inclusive) of a group whose PSI full grows by
// `full_percent` of the time and whose refaults grow by `refaults_per_s`; returns the first kill's time.
struct Feed {
    ThrashDetector detector;
    std::uint64_t stall_us = 0;
    std::uint64_t refaults = 0;
    bool psi = true;
    long last = 0;

    std::optional<long> run(const ThrashParams& params, long from, long to, long step, double full_percent,
                            double refaults_per_s) {
        for (long t = from; t <= to; t += step) {
            const long elapsed = t - last;
            stall_us += static_cast<std::uint64_t>(static_cast<double>(elapsed) * 1000.0 * full_percent / 100.0);
            refaults += static_cast<std::uint64_t>(static_cast<double>(elapsed) * refaults_per_s / 1000.0);
            last = t;
            ThrashSample sample{at(t), psi ? std::optional<std::uint64_t>(stall_us) : std::nullopt, refaults};
            if (detector.on_sample(params, sample)) return t;
        }
        return std::nullopt;
    }
};

}  // namespace

TEST_CASE("thrashing: PSI full above the threshold over the whole window kills at the window's end") {
    Feed feed;
    CHECK(feed.run(kParams, 0, 30'000, 1000, 60, 0) == 10'000);
}

TEST_CASE("thrashing: PSI full below the threshold and no refaults is not thrashing") {
    Feed feed;
    CHECK_FALSE(feed.run(kParams, 0, 60'000, 1000, 40, 100));
}

TEST_CASE("thrashing: many refaults with some pressure are thrashing even when PSI stays under the threshold") {
    // What was measured at 64 MiB with little CPU: ~150k refaults/s, PSI full 10-15%.
    Feed feed;
    CHECK(feed.run(kParams, 0, 30'000, 500, 12, 150'000) == 10'000);
}

TEST_CASE("thrashing: many refaults are thrashing even when the memory stall is tiny") {
    // Measured at 64 MiB on a quiet machine: ~200k refaults/s, PSI full 2.3% (the re-reads wait on the
    // disk, which PSI counts as I/O, not memory). Pages read back that often were in use when evicted.
    Feed feed;
    CHECK(feed.run(kParams, 0, 30'000, 1000, 1, 150'000) == 10'000);
    Feed idle;
    CHECK_FALSE(idle.run(kParams, 0, 60'000, 1000, 1, 2'000));
}

TEST_CASE("thrashing: without PSI the refault rate decides alone") {
    Feed feed;
    feed.psi = false;
    CHECK(feed.run(kParams, 0, 30'000, 1000, 0, 50'000) == 10'000);
    Feed calm;
    calm.psi = false;
    CHECK_FALSE(calm.run(kParams, 0, 30'000, 1000, 0, 2'000));
}

TEST_CASE("thrashing: one quiet sample in the window does not start it over") {
    Feed feed;
    CHECK_FALSE(feed.run(kParams, 0, 6000, 1000, 80, 0));
    CHECK_FALSE(feed.run(kParams, 7000, 7000, 1000, 0, 0));  // a second without any stall
    CHECK(feed.run(kParams, 8000, 30'000, 1000, 80, 0) == 10'000);
}

TEST_CASE("thrashing: stalls between samples count as much as those a sample catches") {
    // Pressure in bursts that an instantaneous sample would mostly miss: the counters see them all.
    Feed feed;
    std::optional<long> killed;
    for (long t = 1000; t <= 30'000 && !killed; t += 1000) {
        killed = feed.run(kParams, t, t, 1000, t % 3000 == 0 ? 150 : 30, 0);  // 66% over [1 s, 11 s]
    }
    CHECK(killed == 11'000);
}

TEST_CASE("thrashing: no verdict before a whole window of samples, whatever the pressure") {
    Feed feed;
    CHECK_FALSE(feed.run(kParams, 0, 9999, 100, 100, 1'000'000));
}

TEST_CASE("thrashing: pressure that ends is forgotten once a window has passed without it") {
    Feed feed;
    CHECK_FALSE(feed.run(kParams, 0, 5000, 1000, 90, 0));
    CHECK_FALSE(feed.run(kParams, 6000, 40'000, 1000, 0, 0));
    CHECK(feed.run(kParams, 41'000, 60'000, 1000, 90, 0) == 46'000);  // 6 s of 90% in the last 10 s
}

TEST_CASE("thrashing: disabled, reset, and out-of-order samples") {
    ThrashParams off = kParams;
    off.enabled = false;
    Feed feed;
    CHECK_FALSE(feed.run(off, 0, 30'000, 1000, 100, 1'000'000));

    ThrashDetector detector;
    CHECK_FALSE(detector.on_sample(kParams, {at(0), 0, 0}));
    CHECK_FALSE(detector.on_sample(kParams, {at(5000), 5'000'000, 0}));
    detector.reset();  // a new incarnation: the window starts again
    CHECK_FALSE(detector.on_sample(kParams, {at(10'000), 10'000'000, 0}));
    CHECK_FALSE(detector.on_sample(kParams, {at(9000), 10'000'000, 0}));  // older than the last: ignored
    const auto measure = detector.on_sample(kParams, {at(20'000), 20'000'000, 0});
    REQUIRE(measure);
    CHECK(measure->span == milliseconds(10'000));
    CHECK(*measure->full_percent == doctest::Approx(100.0));
}

TEST_CASE("thrashing: the rule on one measurement") {
    CHECK(is_thrashing(kParams, {milliseconds(10'000), 50.0, 0}));
    CHECK_FALSE(is_thrashing(kParams, {milliseconds(10'000), 49.9, 9'999}));
    CHECK(is_thrashing(kParams, {milliseconds(10'000), 0.0, 10'000}));
    CHECK_FALSE(is_thrashing(kParams, {milliseconds(10'000), 0.0, 9'999}));
    CHECK(is_thrashing(kParams, {milliseconds(10'000), std::nullopt, 10'000}));
}
