#include <doctest/doctest.h>

#include "policies/read_pacing.hpp"

using namespace corral::policies;
using namespace std::chrono_literals;

namespace {

// Feeds `count` reads of `frames` frames, `gap` apart, starting at `start`; returns the time after the last.
TimePoint reads(ReadPacing& pacing, TimePoint start, unsigned count, std::chrono::microseconds gap, std::size_t frames = 3) {
    TimePoint now = start;
    for (unsigned i = 0; i < count; ++i) {
        pacing.on_read(now, frames);
        now += gap;
    }
    return now;
}

}  // namespace

TEST_CASE("read pacing: a one-way stream is paced after a streak of close reads") {
    ReadPacing pacing;
    const TimePoint start{};
    const TimePoint after = reads(pacing, start, ReadPacing::kStreak - 1, 40us);
    CHECK_FALSE(pacing.paced());
    CHECK(pacing.on_read(after, 2));
    CHECK(pacing.paced());
}

TEST_CASE("read pacing: reads further apart than a tick never pace") {
    ReadPacing pacing;
    reads(pacing, TimePoint{}, 10 * ReadPacing::kStreak, 1500us);
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: one slow gap starts the streak again") {
    ReadPacing pacing;
    TimePoint now = reads(pacing, TimePoint{}, ReadPacing::kStreak - 1, 40us);
    now += 2ms;
    now = reads(pacing, now, ReadPacing::kStreak - 1, 40us);
    CHECK_FALSE(pacing.paced());
    CHECK(pacing.on_read(now, 1));
}

TEST_CASE("read pacing: reads without frames do not count") {
    ReadPacing pacing;
    TimePoint now{};
    for (unsigned i = 0; i < 4 * ReadPacing::kStreak; ++i) {
        pacing.on_read(now, i % 2 == 0 ? 5 : 0);
        now += 10us;
    }
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: a conversation is never paced however fast it goes") {
    ReadPacing pacing;
    TimePoint now{};
    for (unsigned i = 0; i < 100 * ReadPacing::kStreak; ++i) {
        pacing.on_read(now, 1);
        pacing.on_write();  // the answer
        now += 20us;
    }
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: a write ends pacing at once") {
    ReadPacing pacing;
    reads(pacing, TimePoint{}, ReadPacing::kStreak, 40us);
    REQUIRE(pacing.paced());
    pacing.on_write();
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: a tick with at most one frame ends pacing and a busier one keeps it") {
    ReadPacing pacing;
    TimePoint now = reads(pacing, TimePoint{}, ReadPacing::kStreak, 40us);
    REQUIRE(pacing.paced());
    CHECK(pacing.on_tick(200));
    CHECK(pacing.on_tick(2));
    CHECK_FALSE(pacing.on_tick(1));
    CHECK_FALSE(pacing.paced());
    // And the streak is counted afresh.
    now += 100us;
    reads(pacing, now, ReadPacing::kStreak - 1, 40us);
    CHECK_FALSE(pacing.paced());

    ReadPacing quiet;
    reads(quiet, TimePoint{}, ReadPacing::kStreak, 40us);
    REQUIRE(quiet.paced());
    CHECK_FALSE(quiet.on_tick(0));
}
