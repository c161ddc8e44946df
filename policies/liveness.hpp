#pragma once
// Liveness of a Node instance's event loop (`liveness = { event_loop = "10s" }`): its Node agent reports
// every sample interval from a timer on the event loop (supervisor/agent/runtime_report.hpp), so a loop that
// does not turn stops the reports. The instance is hung when
//   - no report came for `event_loop` (counted from the latest report, or from the end of corral's latest
//     pause of it, whichever is later), or
//   - a report says the loop was blocked (its longest event-loop delay) for `event_loop` or more, over an
//     interval with no pause by corral in it.
// Before its first report an incarnation may be loading its modules, which blocks the loop as surely as an
// endless loop does: until then both limits are `startup` (never less than event_loop), counted from the exec.
// While corral holds the loop still (cooled, frozen, stopping) nothing is judged, and the time paused never
// counts: a frozen loop cannot turn, and a held channel is not read.
//
// Pure: the facts and the clock come in; no I/O.
#include <optional>

#include "policies/clock.hpp"

namespace corral::policies {

struct LivenessParams {
    Duration event_loop{10'000};
    Duration startup{30'000};  // the allowance until the first report; the larger of this and event_loop counts

    bool operator==(const LivenessParams&) const = default;
};

// While corral holds the loop still, it is looked at again this often (the end of a pause is seen then).
inline constexpr Duration kLivenessPausedRecheck{1'000};

struct LivenessFacts {
    TimePoint started;                       // the incarnation's exec
    std::optional<TimePoint> resumed;        // the end of corral's latest pause of it; nullopt: none yet
    bool paused = false;                     // corral holds its loop still now
    std::optional<TimePoint> last_report;    // arrival of the latest runtime report of this incarnation
    std::optional<TimePoint> previous_report;  // arrival of the one before it; nullopt: the latest was the first
    double loop_max_ms = 0;                  // the latest report's longest event-loop delay
};

struct LivenessVerdict {
    bool hung = false;
    // Hung: how long the loop did not turn; `silent`: that long without a report (since `silent_since`),
    // otherwise the delay a report gave.
    Duration blocked{0};
    bool silent = false;
    TimePoint silent_since;
    // Not hung: when to judge again if nothing comes before (a report, a pause) that changes the facts.
    TimePoint recheck_at;
};

LivenessVerdict judge_liveness(const LivenessParams& params, const LivenessFacts& facts, TimePoint now);

}  // namespace corral::policies
