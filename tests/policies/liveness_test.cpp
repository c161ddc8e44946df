#include "policies/liveness.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const TimePoint t0{seconds(1000)};
const LivenessParams params{milliseconds(10'000), milliseconds(30'000)};

LivenessFacts reporting(TimePoint previous, TimePoint last, double loop_max_ms = 5) {
    LivenessFacts facts;
    facts.started = t0;
    facts.previous_report = previous;
    facts.last_report = last;
    facts.loop_max_ms = loop_max_ms;
    return facts;
}

}  // namespace

TEST_CASE("liveness: reports that keep coming keep it alive - the next look is event_loop after the latest") {
    const LivenessFacts facts = reporting(t0 + seconds(40), t0 + seconds(41));
    const LivenessVerdict verdict = judge_liveness(params, facts, t0 + seconds(45));
    CHECK_FALSE(verdict.hung);
    CHECK(verdict.recheck_at == t0 + seconds(51));
}

TEST_CASE("liveness: no report for event_loop is hung - with the time since the latest report") {
    const LivenessFacts facts = reporting(t0 + seconds(40), t0 + seconds(41));
    CHECK_FALSE(judge_liveness(params, facts, t0 + milliseconds(50'999)).hung);
    const LivenessVerdict verdict = judge_liveness(params, facts, t0 + milliseconds(51'300));
    CHECK(verdict.hung);
    CHECK(verdict.silent);
    CHECK(verdict.silent_since == t0 + seconds(41));
    CHECK(verdict.blocked == milliseconds(10'300));
}

TEST_CASE("liveness: a report of a delay of event_loop or more is hung - a shorter one is not") {
    LivenessVerdict verdict = judge_liveness(params, reporting(t0 + seconds(40), t0 + seconds(52), 12'040), t0 + seconds(52));
    CHECK(verdict.hung);
    CHECK_FALSE(verdict.silent);
    CHECK(verdict.blocked == milliseconds(12'040));
    verdict = judge_liveness(params, reporting(t0 + seconds(40), t0 + seconds(49), 9'000), t0 + seconds(49));
    CHECK_FALSE(verdict.hung);
    CHECK(verdict.recheck_at == t0 + seconds(59));
}

TEST_CASE("liveness: until the first report the allowance is startup - counted from the exec") {
    LivenessFacts facts;
    facts.started = t0;
    LivenessVerdict verdict = judge_liveness(params, facts, t0 + seconds(20));
    CHECK_FALSE(verdict.hung);
    CHECK(verdict.recheck_at == t0 + seconds(30));
    verdict = judge_liveness(params, facts, t0 + seconds(30));
    CHECK(verdict.hung);
    CHECK(verdict.silent_since == t0);
    // Loading modules for 25 s shows in the first report as a 25 s delay: within the startup allowance.
    facts.last_report = t0 + seconds(26);
    facts.loop_max_ms = 25'000;
    verdict = judge_liveness(params, facts, t0 + seconds(26));
    CHECK_FALSE(verdict.hung);
    CHECK(verdict.recheck_at == t0 + seconds(36));
}

TEST_CASE("liveness: a startup shorter than event_loop gives event_loop") {
    LivenessFacts facts;
    facts.started = t0;
    const LivenessParams short_startup{milliseconds(10'000), milliseconds(2'000)};
    CHECK(judge_liveness(short_startup, facts, t0 + seconds(5)).recheck_at == t0 + seconds(10));
    CHECK_FALSE(judge_liveness(short_startup, facts, t0 + seconds(9)).hung);
    CHECK(judge_liveness(short_startup, facts, t0 + seconds(10)).hung);
}

TEST_CASE("liveness: nothing is judged while paused by corral - the pause never counts") {
    LivenessFacts facts = reporting(t0 + seconds(40), t0 + seconds(41));
    facts.paused = true;
    LivenessVerdict verdict = judge_liveness(params, facts, t0 + seconds(300));
    CHECK_FALSE(verdict.hung);
    CHECK(verdict.recheck_at == t0 + seconds(300) + kLivenessPausedRecheck);
    // Thawed at 300 s: event_loop from then on.
    facts.paused = false;
    facts.resumed = t0 + seconds(300);
    verdict = judge_liveness(params, facts, t0 + seconds(301));
    CHECK_FALSE(verdict.hung);
    CHECK(verdict.recheck_at == t0 + seconds(310));
    verdict = judge_liveness(params, facts, t0 + seconds(310));
    CHECK(verdict.hung);
    CHECK(verdict.silent_since == t0 + seconds(300));
}

TEST_CASE("liveness: the delay in a report whose interval held a pause is not believed") {
    // Frozen from 45 s to 105 s: the first report after the thaw shows the freeze as a delay.
    LivenessFacts facts = reporting(t0 + seconds(41), t0 + seconds(106), 64'000);
    facts.resumed = t0 + seconds(105);
    LivenessVerdict verdict = judge_liveness(params, facts, t0 + seconds(106));
    CHECK_FALSE(verdict.hung);
    CHECK(verdict.recheck_at == t0 + seconds(116));
    // The next one covers only time after the thaw: believed.
    facts = reporting(t0 + seconds(106), t0 + seconds(118), 11'000);
    facts.resumed = t0 + seconds(105);
    CHECK(judge_liveness(params, facts, t0 + seconds(118)).hung);
}
