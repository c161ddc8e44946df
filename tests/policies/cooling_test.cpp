#include "policies/cooling.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {

TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }

constexpr double kMB = 1'000'000;

// write_rate over 20MB/s for 10s, work 60s, cool 60s, resume below 80%.
CoolingParams write_rate() {
    CoolingParams params;
    params.trigger = CoolingTrigger::write_rate;
    params.threshold = 20 * kMB;
    return params;
}

CoolingParams schedule(long work_ms, long cool_ms) {
    CoolingParams params;
    params.trigger = CoolingTrigger::schedule;
    params.work = milliseconds(work_ms);
    params.cool = milliseconds(cool_ms);
    return params;
}

// Feeds `value` every second from `from` to `to` (inclusive) and returns the first transition.
std::optional<CoolingTransition> feed(CoolingPolicy& policy, double value, long from, long to) {
    for (long t = from; t <= to; t += 1000) {
        if (auto transition = policy.observe(value, at(t))) return transition;
    }
    return std::nullopt;
}

// The time of the first transition while feeding `value` every second from `from` to `to`, or -1.
long first_transition(CoolingPolicy& policy, double value, long from, long to) {
    for (long t = from; t <= to; t += 1000) {
        if (policy.observe(value, at(t))) return t;
    }
    return -1;
}

}  // namespace

TEST_CASE("cooling: write rate over the threshold for the whole sustain time starts a cool period") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK_FALSE(feed(policy, 48.2 * kMB, 0, 9000).has_value());  // over since 0: 9s is not yet 10s
    CHECK_FALSE(policy.cooling(at(9000)));
    const auto transition = policy.observe(48.2 * kMB, at(10'000));  // exactly at `for`
    REQUIRE(transition.has_value());
    CHECK(*transition == CoolingTransition{true, "write rate 48.2MB/s over 20.0MB/s for 10s"});
    CHECK(policy.cooling(at(10'000)));
    CHECK(policy.cooling_until() == at(70'000));
    CHECK(policy.time_left(at(10'000)) == milliseconds(60'000));
    CHECK(policy.time_left(at(40'000)) == milliseconds(30'000));
    CHECK(policy.reason() == "write rate 48.2MB/s over 20.0MB/s for 10s");
    CHECK(policy.mode() == CoolingMode::hold);
}

TEST_CASE("cooling: a value at the threshold is not over") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(first_transition(policy, 20 * kMB, 0, 30'000) == -1);
    CHECK(first_transition(policy, 20 * kMB + 1, 31'000, 60'000) == 41'000);
}

TEST_CASE("cooling: each trigger kind and its reason") {
    SUBCASE("ipc rate in messages") {
        CoolingParams params;
        params.trigger = CoolingTrigger::ipc_rate;
        params.threshold = 20'000;
        CoolingPolicy policy(params, at(0));
        CHECK(feed(policy, 52'000, 0, 20'000) ==
              CoolingTransition{true, "ipc rate 52000 msg/s over 20000 msg/s for 10s"});
    }
    SUBCASE("ipc rate in binary bytes") {
        CoolingParams params;
        params.trigger = CoolingTrigger::ipc_rate;
        params.ipc_bytes = true;
        params.threshold = 20 * 1024 * 1024;
        CoolingPolicy policy(params, at(0));
        CHECK(feed(policy, 30.5 * 1024 * 1024, 0, 20'000) ==
              CoolingTransition{true, "ipc rate 30.5MiB/s over 20.0MiB/s for 10s"});
    }
    SUBCASE("slow ipc rate") {
        CoolingParams params;
        params.trigger = CoolingTrigger::ipc_rate;
        params.threshold = 0.5;
        params.sustain = milliseconds(2000);
        CoolingPolicy policy(params, at(0));
        CHECK(feed(policy, 2, 0, 20'000) == CoolingTransition{true, "ipc rate 2.0 msg/s over 0.5 msg/s for 2s"});
    }
    SUBCASE("memory as a share of memory.max") {
        CoolingParams params;
        params.trigger = CoolingTrigger::memory;
        params.threshold = 0.8;
        CoolingPolicy policy(params, at(0));
        CHECK(feed(policy, 0.91, 0, 20'000) ==
              CoolingTransition{true, "memory 91% of memory.max over 80% for 10s"});
    }
    SUBCASE("memory pressure") {
        CoolingParams params;
        params.trigger = CoolingTrigger::pressure;
        params.threshold = 50;
        params.mode = CoolingMode::freeze;
        CoolingPolicy policy(params, at(0));
        CHECK(policy.mode() == CoolingMode::freeze);
        CHECK(feed(policy, 63, 0, 20'000) == CoolingTransition{true, "memory pressure 63.0% over 50.0% for 10s"});
    }
    SUBCASE("write rate in small units and over a longer time") {
        CoolingParams params = write_rate();
        params.threshold = 512;
        CoolingPolicy policy(params, at(0));
        CHECK(policy.observe(2000, at(0)) == std::nullopt);
        CHECK(policy.observe(2000, at(90'000)) == CoolingTransition{true, "write rate 2.0kB/s over 512B/s for 90s"});
    }
}

TEST_CASE("cooling: sustain counts from the first over sample") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(first_transition(policy, 10 * kMB, 0, 4000) == -1);
    // Over from 5s: cools at 15s, not before.
    CHECK(first_transition(policy, 30 * kMB, 5000, 30'000) == 15'000);
}

TEST_CASE("cooling: hysteresis - a dip above threshold times resume_below keeps the over-timer") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(first_transition(policy, 30 * kMB, 0, 4000) == -1);
    CHECK_FALSE(policy.observe(17 * kMB, at(5000)).has_value());  // under 20MB/s, above 16MB/s
    CHECK_FALSE(policy.observe(16 * kMB, at(6000)).has_value());  // exactly 80%: not below
    CHECK(first_transition(policy, 30 * kMB, 7000, 30'000) == 10'000);
}

TEST_CASE("cooling: hysteresis - a dip below threshold times resume_below resets the over-timer") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(first_transition(policy, 30 * kMB, 0, 8000) == -1);
    CHECK_FALSE(policy.observe(15 * kMB, at(9000)).has_value());
    // A value between the two levels does not start the timer again: only one over the threshold does.
    CHECK(first_transition(policy, 18 * kMB, 10'000, 15'000) == -1);
    CHECK(first_transition(policy, 30 * kMB, 16'000, 40'000) == 26'000);
}

TEST_CASE("cooling: a value oscillating around the threshold does not flap") {
    CoolingPolicy policy(write_rate(), at(0));
    std::optional<long> cooled_at;
    for (long t = 0; t <= 30'000 && !cooled_at; t += 1000) {
        const double value = (t / 1000) % 2 == 0 ? 21 * kMB : 19 * kMB;
        if (policy.observe(value, at(t))) cooled_at = t;
    }
    CHECK(cooled_at == 10'000);
}

TEST_CASE("cooling: with resume_below 100% any value at or under the threshold resets the timer") {
    CoolingParams params = write_rate();
    params.resume_below = 1.0;
    CoolingPolicy policy(params, at(0));
    CHECK(first_transition(policy, 30 * kMB, 0, 5000) == -1);
    CHECK_FALSE(policy.observe(20 * kMB, at(6000)).has_value());  // at the threshold: still over
    CHECK_FALSE(policy.observe(19.9 * kMB, at(7000)).has_value());
    CHECK(first_transition(policy, 30 * kMB, 8000, 30'000) == 18'000);
}

TEST_CASE("cooling: a cool period lasts `cool` and samples do not end it early") {
    CoolingPolicy policy(write_rate(), at(0));
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    CHECK(first_transition(policy, 0, 11'000, 69'000) == -1);  // idle while held: still cooling
    CHECK(policy.cooling(at(69'999)));
    CHECK_FALSE(policy.cooling(at(70'000)));
    CHECK(policy.tick(at(69'999)) == std::nullopt);
    CHECK(policy.tick(at(70'000)) == CoolingTransition{false, "cool period of 60s over"});
    CHECK_FALSE(policy.cooling(at(70'000)));
    CHECK(policy.cooling_until() == std::nullopt);
    CHECK(policy.time_left(at(70'000)) == std::nullopt);
    CHECK(policy.tick(at(71'000)) == std::nullopt);
}

TEST_CASE("cooling: observe also ends a cool period whose time is up") {
    CoolingPolicy policy(write_rate(), at(0));
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    CHECK(policy.observe(30 * kMB, at(70'500)) == CoolingTransition{false, "cool period of 60s over"});
}

TEST_CASE("cooling: after a cool period at least `work` passes before the next one") {
    CoolingPolicy policy(write_rate(), at(0));
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    REQUIRE(policy.tick(at(70'000)).has_value());
    // Over again right away: the over-timer restarts from zero at 71s, and the work period runs to 130s.
    CHECK(first_transition(policy, 30 * kMB, 71'000, 129'000) == -1);
    CHECK(policy.observe(30 * kMB, at(130'000)) ==
          CoolingTransition{true, "write rate 30.0MB/s over 20.0MB/s for 59s"});
    CHECK(policy.cooling_until() == at(190'000));
}

TEST_CASE("cooling: a long work period still needs the value over for `for` at its end") {
    CoolingPolicy policy(write_rate(), at(0));
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    REQUIRE(policy.tick(at(70'000)).has_value());
    CHECK(first_transition(policy, 1 * kMB, 70'000, 125'000) == -1);
    // Over from 126s: the work period ends at 130s, the over-time reaches 10s at 136s.
    CHECK(first_transition(policy, 30 * kMB, 126'000, 200'000) == 136'000);
}

TEST_CASE("cooling: the first trigger of an incarnation needs no work period") {
    CoolingParams params = write_rate();
    params.sustain = milliseconds(1000);
    CoolingPolicy policy(params, at(5000));
    CHECK(first_transition(policy, 30 * kMB, 5000, 10'000) == 6000);
}

TEST_CASE("cooling: the schedule works and cools in a fixed duty cycle") {
    CoolingPolicy policy(schedule(60'000, 30'000), at(1000));
    CHECK(policy.next_check(at(1000)) == at(61'000));
    CHECK_FALSE(policy.cooling(at(60'999)));
    CHECK(policy.cooling(at(61'000)));
    for (long cycle = 0; cycle < 4; ++cycle) {
        const long start = 1000 + cycle * 90'000;
        CAPTURE(cycle);
        CHECK(policy.tick(at(start + 59'999)) == std::nullopt);
        CHECK(policy.tick(at(start + 60'000)) == CoolingTransition{true, "schedule: 60s of work done"});
        CHECK(policy.cooling_until() == at(start + 90'000));
        CHECK(policy.next_check(at(start + 60'000)) == at(start + 90'000));
        CHECK(policy.time_left(at(start + 70'000)) == milliseconds(20'000));
        CHECK(policy.observe(0, at(start + 80'000)) == std::nullopt);
        CHECK(policy.tick(at(start + 90'000)) == CoolingTransition{false, "cool period of 30s over"});
        CHECK(policy.next_check(at(start + 90'000)) == at(start + 150'000));
    }
}

TEST_CASE("cooling: a late schedule tick lands in the phase of the cycle") {
    CoolingPolicy policy(schedule(60'000, 60'000), at(0));
    // 2.5 cycles later: in the third cool period, which ends at 360s.
    CHECK(policy.tick(at(310'000)) == CoolingTransition{true, "schedule: 60s of work done"});
    CHECK(policy.cooling_until() == at(360'000));
    // A whole cool period missed: working again, with no transition to report.
    CoolingPolicy late(schedule(60'000, 60'000), at(0));
    CHECK(late.tick(at(250'000)) == std::nullopt);
    CHECK_FALSE(late.cooling(at(250'000)));
    CHECK(late.next_check(at(250'000)) == at(300'000));
}

TEST_CASE("cooling: a manual cool lasts until heat whatever the samples say") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(policy.cool_manually(at(1000)) == CoolingTransition{true, "manual: corral cool"});
    CHECK(policy.cooling(at(1000)));
    CHECK(policy.cooling_until() == std::nullopt);
    CHECK(policy.time_left(at(5000)) == std::nullopt);
    CHECK(policy.next_check(at(5000)) == std::nullopt);
    CHECK(first_transition(policy, 0, 2000, 600'000) == -1);
    CHECK(first_transition(policy, 100 * kMB, 601'000, 900'000) == -1);
    CHECK(policy.cooling(at(900'000)));
    CHECK(policy.heat(at(900'500)) == CoolingTransition{false, "manual: corral heat"});
    CHECK_FALSE(policy.cooling(at(900'500)));
}

TEST_CASE("cooling: a manual cool for a given time") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(policy.cool_manually(at(1000), milliseconds(300'000)) ==
          CoolingTransition{true, "manual: corral cool for 5m"});
    CHECK(policy.cooling_until() == at(301'000));
    CHECK(policy.next_check(at(1000)) == at(301'000));
    CHECK(policy.time_left(at(1000)) == milliseconds(300'000));
    CHECK(policy.tick(at(300'999)) == std::nullopt);
    CHECK(policy.tick(at(301'000)) == CoolingTransition{false, "cool period of 5m over"});
}

TEST_CASE("cooling: a manual cool takes over an automatic one") {
    CoolingPolicy policy(write_rate(), at(0));
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    policy.cool_manually(at(20'000));
    CHECK(policy.tick(at(70'000)) == std::nullopt);  // the automatic end no longer applies
    CHECK(policy.cooling(at(500'000)));
}

TEST_CASE("cooling: heat ends an automatic cool and blocks a new one for `work`") {
    CoolingPolicy policy(write_rate(), at(0));
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    CHECK(policy.heat(at(20'000)) == CoolingTransition{false, "manual: corral heat"});
    CHECK_FALSE(policy.cooling(at(20'000)));
    CHECK(policy.tick(at(70'000)) == std::nullopt);
    CHECK(first_transition(policy, 30 * kMB, 21'000, 79'000) == -1);
    CHECK(policy.observe(30 * kMB, at(80'000)).has_value());
}

TEST_CASE("cooling: heat while working starts a work period too") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(policy.heat(at(0)) == CoolingTransition{false, "manual: corral heat"});
    CHECK(first_transition(policy, 30 * kMB, 0, 60'000) == 60'000);
}

TEST_CASE("cooling: heat restarts a schedule with a work period") {
    CoolingPolicy policy(schedule(60'000, 60'000), at(0));
    REQUIRE(policy.tick(at(60'000)).has_value());
    CHECK(policy.heat(at(70'000)) == CoolingTransition{false, "manual: corral heat"});
    CHECK(policy.next_check(at(70'000)) == at(130'000));
    CHECK(policy.tick(at(120'000)) == std::nullopt);
    CHECK(policy.tick(at(130'000)) == CoolingTransition{true, "schedule: 60s of work done"});
}

TEST_CASE("cooling: a schedule waits for a manual cool") {
    CoolingPolicy policy(schedule(60'000, 60'000), at(0));
    policy.cool_manually(at(10'000), milliseconds(100'000));
    CHECK(policy.tick(at(60'000)) == std::nullopt);
    CHECK(policy.tick(at(110'000)) == CoolingTransition{false, "cool period of 100s over"});
    CHECK(policy.next_check(at(110'000)) == at(170'000));
}

TEST_CASE("cooling: without params only manual cooling happens") {
    CoolingPolicy policy = CoolingPolicy::manual_only(at(0));
    CHECK(first_transition(policy, 1e12, 0, 100'000) == -1);
    CHECK(policy.next_check(at(0)) == std::nullopt);
    CHECK(policy.mode() == CoolingMode::hold);
    CHECK(policy.cool_manually(at(100'000)).cooling);
    CHECK(policy.cooling(at(200'000)));
    CHECK_FALSE(policy.heat(at(200'000)).cooling);
    CHECK_FALSE(policy.cooling(at(200'000)));
}

TEST_CASE("cooling: next_check is the end of the cool period - nothing for sample triggers while working") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(policy.next_check(at(0)) == std::nullopt);
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    CHECK(policy.next_check(at(10'000)) == at(70'000));
    CHECK(policy.next_check(at(80'000)) == std::nullopt);  // as after the tick due at 70s
}

TEST_CASE("cooling: NaN and infinite samples are ignored") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK(first_transition(policy, 30 * kMB, 0, 5000) == -1);
    CHECK_FALSE(policy.observe(std::nan(""), at(6000)).has_value());
    CHECK_FALSE(policy.observe(std::numeric_limits<double>::infinity(), at(7000)).has_value());
    CHECK_FALSE(policy.observe(-std::numeric_limits<double>::infinity(), at(8000)).has_value());
    CHECK(policy.last_value() == 30 * kMB);
    CHECK(first_transition(policy, 30 * kMB, 9000, 20'000) == 10'000);
}

TEST_CASE("cooling: a late sample that is still over carries the over-time across the gap") {
    CoolingPolicy policy(write_rate(), at(0));
    CHECK_FALSE(policy.observe(30 * kMB, at(0)).has_value());
    CHECK(policy.observe(30 * kMB, at(30'000)) == CoolingTransition{true, "write rate 30.0MB/s over 20.0MB/s for 30s"});
    // A single over sample after a gap only starts the timer.
    CoolingPolicy other(write_rate(), at(0));
    CHECK_FALSE(other.observe(1 * kMB, at(0)).has_value());
    CHECK_FALSE(other.observe(30 * kMB, at(30'000)).has_value());
}

TEST_CASE("cooling: a clock that goes backwards does not stretch a cool period") {
    CoolingPolicy policy(write_rate(), at(100'000));
    REQUIRE(first_transition(policy, 30 * kMB, 100'000, 110'000) == 110'000);
    CHECK(policy.cooling_until() == at(170'000));
    CHECK(policy.tick(at(50'000)) == std::nullopt);  // back 60s: the cool period now ends 60s from here
    CHECK(policy.cooling_until() == at(110'000));
    CHECK(policy.tick(at(110'000)) == CoolingTransition{false, "cool period of 60s over"});
}

TEST_CASE("cooling: a clock that goes backwards keeps a schedule in its phase") {
    CoolingPolicy policy(schedule(60'000, 60'000), at(100'000));
    REQUIRE(policy.tick(at(160'000)).has_value());
    CHECK(policy.tick(at(10'000)) == std::nullopt);
    CHECK(policy.cooling(at(10'000)));
    CHECK(policy.cooling_until() == at(70'000));
    CHECK(policy.tick(at(70'000)) == CoolingTransition{false, "cool period of 60s over"});
}

TEST_CASE("cooling: a forward jump ends the cool period at the next tick") {
    CoolingPolicy policy(write_rate(), at(0));
    REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
    CHECK(policy.tick(at(10'000'000)) == CoolingTransition{false, "cool period of 60s over"});
    CHECK(first_transition(policy, 30 * kMB, 10'001'000, 10'070'000) == 10'060'000);
}

TEST_CASE("cooling: new params apply live") {
    SUBCASE("a new threshold restarts the over-timer") {
        CoolingPolicy policy(write_rate(), at(0));
        CHECK(first_transition(policy, 30 * kMB, 0, 5000) == -1);
        CoolingParams higher = write_rate();
        higher.threshold = 25 * kMB;
        CHECK(policy.update(higher, at(5500)) == std::nullopt);
        CHECK(first_transition(policy, 30 * kMB, 6000, 30'000) == 16'000);
    }
    SUBCASE("a cool period in progress is cut to the new cool") {
        CoolingPolicy policy(write_rate(), at(0));
        REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
        CoolingParams shorter = write_rate();
        shorter.cool = milliseconds(10'000);
        CHECK(policy.update(shorter, at(12'000)) == std::nullopt);
        CHECK(policy.cooling_until() == at(22'000));
    }
    SUBCASE("removed params end an automatic cool but not a manual one") {
        CoolingPolicy policy(write_rate(), at(0));
        REQUIRE(first_transition(policy, 30 * kMB, 0, 10'000) == 10'000);
        CHECK(policy.update(std::nullopt, at(12'000)) == CoolingTransition{false, "cooling removed from the service"});
        CoolingPolicy manual(write_rate(), at(0));
        manual.cool_manually(at(1000));
        CHECK(manual.update(std::nullopt, at(2000)) == std::nullopt);
        CHECK(manual.cooling(at(2000)));
    }
    SUBCASE("a new schedule starts with a work period") {
        CoolingPolicy policy(write_rate(), at(0));
        CHECK(policy.update(schedule(60'000, 60'000), at(30'000)) == std::nullopt);
        CHECK(policy.next_check(at(30'000)) == at(90'000));
    }
}
