#include "policies/memory_pacing.hpp"

#include <doctest/doctest.h>

#include "policies/thrash_detector.hpp"

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {

TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }
constexpr std::uint64_t MiB = 1 << 20;
const MemoryPacingParams kParams{512 * 1024, milliseconds(30'000), 90};

PacingReading reading(long ms, std::uint64_t current, std::optional<std::uint64_t> max = std::nullopt,
                      std::uint64_t stall = 0, std::uint64_t refaults = 0, std::uint64_t hits = 0) {
    return {at(ms), current, max, stall, refaults, hits};
}

}  // namespace

TEST_CASE("the first tick of an incarnation reads in full, and a counter that cannot be read too") {
    MemoryPacing pacing;
    CHECK(pacing.full_read_due(kParams, 10 * MiB, at(0)));
    pacing.on_full_read(kParams, reading(0, 10 * MiB));
    CHECK_FALSE(pacing.full_read_due(kParams, 10 * MiB, at(1000)));
    CHECK(pacing.full_read_due(kParams, std::nullopt, at(1000)));
    pacing.reset();
    CHECK(pacing.full_read_due(kParams, 10 * MiB, at(2000)));
}

TEST_CASE("a calm group is read in full once per calm_every, and when its counter moves by moved_bytes") {
    MemoryPacing pacing;
    pacing.on_full_read(kParams, reading(0, 40 * MiB));
    CHECK_FALSE(pacing.full_read_due(kParams, 40 * MiB + 100 * 1024, at(1000)));
    CHECK_FALSE(pacing.full_read_due(kParams, 40 * MiB - 500 * 1024, at(29'999)));
    CHECK(pacing.full_read_due(kParams, 40 * MiB, at(30'000)));
    CHECK(pacing.full_read_due(kParams, 40 * MiB + 512 * 1024, at(2000)));
    CHECK(pacing.full_read_due(kParams, 40 * MiB - 512 * 1024, at(2000)));
}

TEST_CASE("near memory.max every tick reads in full") {
    MemoryPacing pacing;
    pacing.on_full_read(kParams, reading(0, 80 * MiB, 100 * MiB));
    CHECK_FALSE(pacing.full_read_due(kParams, 80 * MiB, at(1000)));
    CHECK_FALSE(pacing.pressed());
    // 90 MiB is 512 KiB+ away anyway; a reading there keeps the pace fast even without movement.
    pacing.on_full_read(kParams, reading(1000, 90 * MiB, 100 * MiB));
    CHECK(pacing.pressed());
    CHECK(pacing.full_read_due(kParams, 90 * MiB, at(2000)));
    // Without a limit, no usage is near it.
    MemoryPacing unlimited;
    unlimited.on_full_read(kParams, reading(0, 900 * MiB));
    CHECK_FALSE(unlimited.pressed());
}

TEST_CASE("a stall, refaults or limit hits between two full readings keep every tick full until one shows none") {
    for (int which = 0; which < 3; ++which) {
        CAPTURE(which);
        MemoryPacing pacing;
        pacing.on_full_read(kParams, reading(0, 10 * MiB, std::nullopt, 100, 7, 3));
        CHECK_FALSE(pacing.pressed());
        pacing.on_full_read(kParams, reading(30'000, 10 * MiB, std::nullopt, which == 0 ? 200 : 100,
                                             which == 1 ? 9 : 7, which == 2 ? 4 : 3));
        CHECK(pacing.pressed());
        CHECK(pacing.full_read_due(kParams, 10 * MiB, at(31'000)));
        pacing.on_full_read(kParams, reading(31'000, 10 * MiB, std::nullopt, which == 0 ? 200 : 100,
                                             which == 1 ? 9 : 7, which == 2 ? 4 : 3));
        CHECK_FALSE(pacing.pressed());
        CHECK_FALSE(pacing.full_read_due(kParams, 10 * MiB, at(32'000)));
    }
}

// The thrash detector fed at the pace the pacing chooses: a group that starts thrashing after a long calm
// (refaults climbing, usage pinned below its limit's 90 %) is caught within a window after the first full
// reading that shows it.
TEST_CASE("paced samples still catch thrashing") {
    MemoryPacing pacing;
    ThrashDetector detector;
    const ThrashParams thrash{true, false, 50, milliseconds(10'000)};
    std::uint64_t refaults = 0;
    std::uint64_t stall = 0;
    std::optional<long> killed;
    long reads = 0;
    for (long t = 0; t <= 120'000 && !killed; t += 1000) {
        const bool thrashing = t >= 45'000;
        if (thrashing) {
            refaults += 150'000;  // a second's worth
            stall += 100'000;     // 10 % full
        }
        if (!pacing.full_read_due(MemoryPacingParams{}, 50 * MiB, at(t))) continue;
        ++reads;
        pacing.on_full_read(MemoryPacingParams{}, reading(t, 50 * MiB, 512 * MiB, stall, refaults, 0));
        if (detector.on_sample(thrash, {at(t), stall, refaults})) killed = t;
    }
    REQUIRE(killed);
    CHECK(*killed >= 60'000);           // the calm read at 60 s is the first to see it...
    CHECK(*killed <= 60'000 + 10'000);  // ...and a window of full ticks after it confirms it
    CHECK(reads < 20);                  // 3 calm reads, then every tick
}
