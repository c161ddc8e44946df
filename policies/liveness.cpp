#include "policies/liveness.hpp"

#include <algorithm>
#include <chrono>

namespace corral::policies {

LivenessVerdict judge_liveness(const LivenessParams& params, const LivenessFacts& facts, TimePoint now) {
    LivenessVerdict verdict;
    if (facts.paused) {
        verdict.recheck_at = now + kLivenessPausedRecheck;
        return verdict;
    }
    const TimePoint running_since = std::max(facts.started, facts.resumed.value_or(facts.started));
    const Duration before_first = std::max(params.event_loop, params.startup);
    // The latest report covers the time since the one before it (or since the agent started, at the exec).
    if (facts.last_report) {
        const TimePoint covers_from = facts.previous_report.value_or(facts.started);
        const Duration limit = facts.previous_report ? params.event_loop : before_first;
        const auto delay = Duration{static_cast<Duration::rep>(facts.loop_max_ms)};
        if (covers_from >= running_since && delay >= limit) {
            verdict.hung = true;
            verdict.blocked = delay;
            return verdict;
        }
    }
    const TimePoint silent_since = std::max(running_since, facts.last_report.value_or(running_since));
    const Duration allowance = facts.last_report ? params.event_loop : before_first;
    const TimePoint deadline = silent_since + allowance;
    if (now >= deadline) {
        verdict.hung = true;
        verdict.silent = true;
        verdict.silent_since = silent_since;
        verdict.blocked = std::chrono::duration_cast<Duration>(now - silent_since);
        return verdict;
    }
    verdict.recheck_at = deadline;
    return verdict;
}

}  // namespace corral::policies
