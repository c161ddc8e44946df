#include "policies/sender_throttle.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace corral::policies;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMiB = 1u << 20;
const SenderThrottleParams kParams{.above = 2 * kMiB, .for_ = 100ms, .cpu_percent = 10};

// Samples `unread` every `gap` from `start` until `until`; returns the decisions that were not `none`, in order.
std::vector<ThrottleDecision> feed(SenderThrottle& throttle, TimePoint start, TimePoint until, Duration gap,
                                   std::size_t unread) {
    std::vector<ThrottleDecision> seen;
    for (TimePoint now = start; now < until; now += gap) {
        if (const ThrottleDecision d = throttle.sample(now, unread); d != ThrottleDecision::none) seen.push_back(d);
    }
    return seen;
}

}  // namespace

TEST_CASE("sender throttle: a backlog above the threshold for the whole window engages once") {
    SenderThrottle throttle(kParams);
    const TimePoint t0{};
    CHECK(throttle.sample(t0, 3 * kMiB) == ThrottleDecision::none);
    CHECK(throttle.sample(t0 + 50ms, 3 * kMiB) == ThrottleDecision::none);
    CHECK(throttle.sample(t0 + 100ms, 4 * kMiB) == ThrottleDecision::engage);
    CHECK(throttle.engaged());
    CHECK(throttle.engagements() == 1);
    CHECK(feed(throttle, t0 + 110ms, t0 + 2s, 10ms, 7 * kMiB).empty());
    CHECK(throttle.peak_unread() == 7 * kMiB);
    CHECK(throttle.cap_percent() == 10);
}

TEST_CASE("sender throttle: a sender still far ahead at its cap gets half of it every half second, down to 1%") {
    SenderThrottle throttle(kParams);
    const TimePoint t0{};
    REQUIRE(throttle.sample(t0, 9 * kMiB) == ThrottleDecision::engage);
    CHECK(throttle.cap_percent() == 10);
    // Far behind (four times `above`) for less than the tightening time, with a dip: nothing.
    CHECK(feed(throttle, t0 + 10ms, t0 + 400ms, 10ms, 9 * kMiB).empty());
    CHECK(throttle.sample(t0 + 400ms, 6 * kMiB) == ThrottleDecision::none);
    CHECK(feed(throttle, t0 + 410ms, t0 + 900ms, 10ms, 9 * kMiB).empty());
    CHECK(throttle.sample(t0 + 910ms, 9 * kMiB) == ThrottleDecision::tighten);
    CHECK(throttle.cap_percent() == 5);
    // Each further half second far behind halves it again, to the floor, and no further.
    const auto tightened = feed(throttle, t0 + 920ms, t0 + 5s, 10ms, 9 * kMiB);
    CHECK(tightened == std::vector<ThrottleDecision>(2, ThrottleDecision::tighten));  // 2%, then 1%
    CHECK(throttle.cap_percent() == SenderThrottle::kFloorPercent);
    // Caught up: lifted. Behind again within 2 s: it starts at the cap it had (1%); later, at the
    // configured one again.
    CHECK(throttle.sample(t0 + 6s, 0) == ThrottleDecision::lift);
    REQUIRE(throttle.sample(t0 + 7s, 9 * kMiB) == ThrottleDecision::engage);
    CHECK(throttle.cap_percent() == SenderThrottle::kFloorPercent);
    CHECK(throttle.sample(t0 + 8s, 0) == ThrottleDecision::lift);
    REQUIRE(throttle.sample(t0 + 11s, 9 * kMiB) == ThrottleDecision::engage);
    CHECK(throttle.cap_percent() == 10);
}

TEST_CASE("sender throttle: a short burst does not engage, a backlog the broker drains too slowly does") {
    SenderThrottle burst(kParams);
    const TimePoint t0{};
    CHECK(burst.sample(t0, 5 * kMiB) == ThrottleDecision::none);
    CHECK(burst.sample(t0 + 60ms, 1 * kMiB) == ThrottleDecision::none);  // dipped below: the window restarts
    CHECK(burst.sample(t0 + 120ms, 5 * kMiB) == ThrottleDecision::none);
    CHECK(burst.sample(t0 + 200ms, 5 * kMiB) == ThrottleDecision::none);
    CHECK_FALSE(burst.engaged());

    // After a stall the broker reads what piled up; still above the threshold a window later, it is behind.
    SenderThrottle draining(kParams);
    CHECK(draining.sample(t0, 7 * kMiB) == ThrottleDecision::none);
    CHECK(draining.sample(t0 + 50ms, 5 * kMiB) == ThrottleDecision::none);
    CHECK(draining.sample(t0 + 100ms, 3 * kMiB) == ThrottleDecision::engage);
}

TEST_CASE("sender throttle: lifts once the broker has caught up, not before the least engaged time") {
    SenderThrottle throttle(kParams);
    const TimePoint t0{};
    throttle.sample(t0, 3 * kMiB);
    REQUIRE(throttle.sample(t0 + 100ms, 3 * kMiB) == ThrottleDecision::engage);
    const TimePoint engaged = t0 + 100ms;
    // Caught up at once, but too early: still throttled.
    CHECK(throttle.sample(engaged + 100ms, 0) == ThrottleDecision::none);
    // Still behind after the least time: still throttled.
    CHECK(throttle.sample(engaged + SenderThrottle::kLeastEngaged, kParams.above / 4) == ThrottleDecision::none);
    CHECK(throttle.sample(engaged + SenderThrottle::kLeastEngaged + 10ms, kParams.above / SenderThrottle::kLiftShare) ==
          ThrottleDecision::lift);
    CHECK_FALSE(throttle.engaged());
    CHECK(throttle.throttled_for(engaged + 1h) == SenderThrottle::kLeastEngaged + 10ms);
}

TEST_CASE("sender throttle: engages again after a lift, and counts every engagement") {
    SenderThrottle throttle(kParams);
    TimePoint now{};
    for (int round = 0; round < 3; ++round) {
        const auto decisions = feed(throttle, now, now + 200ms, 10ms, 3 * kMiB);
        REQUIRE(decisions.size() == 1);
        CHECK(decisions[0] == ThrottleDecision::engage);
        now += 1s;
        CHECK(throttle.sample(now, 0) == ThrottleDecision::lift);
        now += 10ms;
    }
    CHECK(throttle.engagements() == 3);
}

TEST_CASE("sender throttle: throttled time counts the engagement in force") {
    SenderThrottle throttle(kParams);
    const TimePoint t0{};
    throttle.sample(t0, 3 * kMiB);
    REQUIRE(throttle.sample(t0 + 100ms, 3 * kMiB) == ThrottleDecision::engage);
    CHECK(throttle.throttled_for(t0 + 350ms) == 250ms);
    REQUIRE(throttle.engaged_since().has_value());
    CHECK(*throttle.engaged_since() == t0 + 100ms);
}

TEST_CASE("sender throttle: a threshold of 0 never engages") {
    SenderThrottle throttle({.above = 0, .for_ = 0ms, .cpu_percent = 10});
    CHECK(feed(throttle, TimePoint{}, TimePoint{} + 1s, 10ms, 100 * kMiB).empty());
}

TEST_CASE("sender throttle: release ends an engagement at once, and is a no-op without one") {
    SenderThrottle throttle(kParams);
    const TimePoint t0{};
    CHECK_FALSE(throttle.release(t0));
    throttle.sample(t0, 3 * kMiB);
    REQUIRE(throttle.sample(t0 + 100ms, 3 * kMiB) == ThrottleDecision::engage);
    CHECK(throttle.release(t0 + 150ms));
    CHECK_FALSE(throttle.engaged());
    CHECK(throttle.throttled_for(t0 + 1h) == 50ms);
    // The window starts again: one sample above is not enough.
    CHECK(throttle.sample(t0 + 200ms, 3 * kMiB) == ThrottleDecision::none);
}

TEST_CASE("sender throttle: a backlog of kAtOnce times the threshold engages at once") {
    SenderThrottle throttle(kParams);
    const TimePoint t0{};
    CHECK(throttle.sample(t0, SenderThrottle::kAtOnce * kParams.above - 1) == ThrottleDecision::none);
    SenderThrottle fresh(kParams);
    CHECK(fresh.sample(t0, SenderThrottle::kAtOnce * kParams.above) == ThrottleDecision::engage);
    CHECK(fresh.peak_unread() == SenderThrottle::kAtOnce * kParams.above);
}
