#include "policies/read_pacing.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;
using namespace std::chrono_literals;

namespace {

// A 16 MiB send buffer: 512 KiB per tick.
constexpr std::size_t kBuffer = 16 * 1024 * 1024;

// Feeds `count` reads of `frames` frames of 30 bytes each, `gap` apart, from `start`; returns the time after the last.
TimePoint reads(ReadPacing& pacing, TimePoint start, unsigned count, std::chrono::microseconds gap, std::size_t frames = 3,
                std::size_t frame_bytes = 30) {
    TimePoint now = start;
    for (unsigned i = 0; i < count; ++i) {
        pacing.on_read(now, frames, frames * frame_bytes);
        now += gap;
    }
    return now;
}

}  // namespace

TEST_CASE("read pacing: a light one-way stream is paced after a streak of close reads") {
    ReadPacing pacing(kBuffer);
    const TimePoint after = reads(pacing, TimePoint{}, ReadPacing::kStreak - 1, 40us);
    CHECK_FALSE(pacing.paced());
    CHECK(pacing.on_read(after, 2, 60));
    CHECK(pacing.paced());
}

TEST_CASE("read pacing: without a budget nothing is paced") {
    ReadPacing pacing(0);
    reads(pacing, TimePoint{}, 10 * ReadPacing::kStreak, 40us);
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: a stream that would write more than the budget per tick stays on wake-ups") {
    // 100 frames of 1 KiB every 100 us: 3 MiB per tick as counted.
    ReadPacing heavy(kBuffer);
    reads(heavy, TimePoint{}, 10 * ReadPacing::kStreak, 100us, 100, 1024);
    CHECK_FALSE(heavy.paced());
    // 15 such frames every 100 us: 450 KiB per tick, within the budget.
    ReadPacing light(kBuffer);
    reads(light, TimePoint{}, ReadPacing::kStreak, 100us, 15, 1024);
    CHECK(light.paced());
}

TEST_CASE("read pacing: reads further apart than a tick never pace") {
    ReadPacing pacing(kBuffer);
    reads(pacing, TimePoint{}, 10 * ReadPacing::kStreak, 1500us);
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: one slow gap starts the streak again") {
    ReadPacing pacing(kBuffer);
    TimePoint now = reads(pacing, TimePoint{}, ReadPacing::kStreak - 1, 40us);
    now += 2ms;
    now = reads(pacing, now, ReadPacing::kStreak - 1, 40us);
    CHECK_FALSE(pacing.paced());
    CHECK(pacing.on_read(now, 1, 30));
}

TEST_CASE("read pacing: reads without frames do not count") {
    ReadPacing pacing(kBuffer);
    TimePoint now{};
    for (unsigned i = 0; i < 4 * ReadPacing::kStreak; ++i) {
        pacing.on_read(now, i % 2 == 0 ? 5 : 0, i % 2 == 0 ? 150 : 0);
        now += 10us;
    }
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: a conversation is never paced however fast it goes") {
    ReadPacing pacing(kBuffer);
    TimePoint now{};
    for (unsigned i = 0; i < 100 * ReadPacing::kStreak; ++i) {
        pacing.on_read(now, 1, 12);
        pacing.on_write();  // the answer
        now += 20us;
    }
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: a write ends pacing at once") {
    ReadPacing pacing(kBuffer);
    reads(pacing, TimePoint{}, ReadPacing::kStreak, 40us);
    REQUIRE(pacing.paced());
    pacing.on_write();
    CHECK_FALSE(pacing.paced());
}

TEST_CASE("read pacing: a tick with at most one frame ends pacing and a busier one keeps it") {
    ReadPacing pacing(kBuffer);
    TimePoint now = reads(pacing, TimePoint{}, ReadPacing::kStreak, 40us);
    REQUIRE(pacing.paced());
    CHECK(pacing.on_tick(200, 6000));
    CHECK(pacing.on_tick(2, 60));
    CHECK_FALSE(pacing.on_tick(1, 30));
    CHECK_FALSE(pacing.paced());
    // And the streak is counted afresh.
    now += 100us;
    reads(pacing, now, ReadPacing::kStreak - 1, 40us);
    CHECK_FALSE(pacing.paced());

    ReadPacing quiet(kBuffer);
    reads(quiet, TimePoint{}, ReadPacing::kStreak, 40us);
    REQUIRE(quiet.paced());
    CHECK_FALSE(quiet.on_tick(0, 0));
}

TEST_CASE("read pacing: a tick that finds more than the budget ends pacing") {
    ReadPacing pacing(kBuffer);
    reads(pacing, TimePoint{}, ReadPacing::kStreak, 40us);
    REQUIRE(pacing.paced());
    CHECK(pacing.on_tick(400, 400 * 30));
    CHECK_FALSE(pacing.on_tick(400, 400 * 1024));  // 1.2 MiB as counted
    CHECK_FALSE(pacing.paced());
}
