#pragma once
// Cooling cycles for heavy writers ("write for one minute, cool for one minute"), pure: the clock is
// passed in and nothing here does I/O. One CoolingPolicy per instance, made when the incarnation starts.
// The daemon carries the decisions out: a cooling instance gets no IPC deliveries (mode hold) and, with
// mode freeze, its cgroup is frozen too.
//
// Automatic triggers (write_rate, ipc_rate, memory, pressure) are fed samples through observe():
//   - a value is "over" once it is above `threshold`, and stays over until it falls below
//     threshold * resume_below (hysteresis: a value that hovers around the threshold does not reset the
//     over-timer);
//   - when it has been over for `sustain` and the instance is working and past its minimum work period,
//     a cool period of `cool` starts. The minimum work period is the `work` that follows every cool period
//     (and a heat); the first trigger of an incarnation needs none;
//   - while cooling, samples are recorded but change nothing: only time (or heat) ends a cool period;
//   - when it ends the instance works again and the over-timer starts from zero.
// A sample is taken to hold until the next one (a rate sample is the average since the one before), so a
// late sample that is still over carries the over-time across the gap, even a gap longer than `sustain`:
// over at t=0 and over again at t=30s cools at t=30s with sustain = 10s. The first over sample only starts
// the timer. NaN and infinite samples are ignored.
//
// The schedule trigger needs no samples: from construction, work for `work`, cool for `cool`, repeat. The
// cycle keeps its phase when tick() comes late (a late tick lands in the phase the cycle is in by then).
//
// Manual override (corral cool / corral heat) works with or without params (manual_only): a manual cool
// lasts until heat, or for the given time; samples and automatic triggers never end it. heat ends any cool
// period now and starts a work period (no automatic cooling for `work`; a schedule restarts its cycle).
//
// Clock jumps: a deadline further away than its full length (the clock went backwards) is pulled in to
// now + length; the over-timer never counts negative time.
#include <optional>
#include <string>

#include "policies/clock.hpp"

namespace corral::policies {

enum class CoolingTrigger { write_rate, ipc_rate, memory, pressure, schedule };
enum class CoolingMode { hold, freeze };

struct CoolingParams {
    CoolingTrigger trigger = CoolingTrigger::write_rate;
    // write_rate: bytes/s; ipc_rate: messages/s (or bytes/s with ipc_bytes); memory: a share of memory.max
    // (0..1); pressure: PSI avg10 in percent (0..100); schedule: unused.
    double threshold = 0;
    bool ipc_bytes = false;
    Duration sustain{10'000};  // `for` in the service file; schedule: unused
    Duration work{60'000};     // the least time working between two cool periods
    Duration cool{60'000};     // the length of a cool period
    double resume_below = 0.8; // once over, a value is over until below threshold * resume_below
    CoolingMode mode = CoolingMode::hold;

    bool operator==(const CoolingParams&) const = default;
};

// A change of state: cooling starts (cooling = true) or ends, and why, e.g.
// "write rate 48.2MB/s over 20.0MB/s for 10s", "schedule: 60s of work done", "cool period of 60s over",
// "manual: corral cool", "manual: corral heat".
struct CoolingTransition {
    bool cooling = false;
    std::string reason;

    bool operator==(const CoolingTransition&) const = default;
};

class CoolingPolicy {
public:
    // Without params only manual cooling happens.
    CoolingPolicy(std::optional<CoolingParams> params, TimePoint now);
    static CoolingPolicy manual_only(TimePoint now) { return CoolingPolicy(std::nullopt, now); }

    // One measured sample (schedule and manual_only: any value, e.g. 0). Also does what tick() does.
    // Returns the transition it caused, if any.
    std::optional<CoolingTransition> observe(double value, TimePoint now);
    // Ends a cool period whose time is up; moves a schedule along. Call it at next_check().
    std::optional<CoolingTransition> tick(TimePoint now);

    // corral cool: cooling from now until heat(), or for `for_how_long` when given.
    CoolingTransition cool_manually(TimePoint now, std::optional<Duration> for_how_long = std::nullopt);
    // corral heat: working from now, and for at least `work` before an automatic cool.
    CoolingTransition heat(TimePoint now);

    // New params from a reload, applied live: the over-timer starts from zero and a schedule starts a
    // fresh work period. A cool period in progress keeps going (for at most the new `cool`); a manual
    // one is untouched; an automatic one ends now when the params are gone (returned as a transition).
    std::optional<CoolingTransition> update(std::optional<CoolingParams> params, TimePoint now);

    // The state as tick(now) would leave it (these do not change the policy).
    bool cooling(TimePoint now) const;
    // Time left in the cool period; nullopt while working and during an open-ended manual cool.
    std::optional<Duration> time_left(TimePoint now) const;
    // End of the current cool period as of the last call; nullopt while working or for an open-ended
    // manual cool.
    std::optional<TimePoint> cooling_until() const;
    // When tick() must be called next: the end of the cool period, or the end of a schedule's work
    // period; nullopt when only samples or commands can change anything.
    std::optional<TimePoint> next_check(TimePoint now) const;
    CoolingMode mode() const { return params_ ? params_->mode : CoolingMode::hold; }
    const std::optional<CoolingParams>& params() const { return params_; }
    // Why the instance is in its current state (the reason of the last transition; "" before any).
    const std::string& reason() const { return reason_; }
    // The last finite sample, if any.
    std::optional<double> last_value() const { return last_value_; }

private:
    enum class Source { automatic, schedule, manual };

    bool schedule() const { return params_ && params_->trigger == CoolingTrigger::schedule; }
    void clamp_deadlines(TimePoint now);
    std::optional<CoolingTransition> end_timed_cool(TimePoint now);
    std::optional<CoolingTransition> advance_schedule(TimePoint now);
    void track_over(double value, TimePoint now);
    CoolingTransition start(Source source, TimePoint now, std::optional<Duration> length, std::string reason);
    CoolingTransition stop(TimePoint now, std::string reason);
    std::string trigger_reason(double value, Duration over_for) const;

    std::optional<CoolingParams> params_;
    bool cooling_ = false;
    Source source_ = Source::automatic;
    std::optional<TimePoint> cool_until_;  // while cooling; nullopt for an open-ended manual cool
    Duration cool_length_{0};              // of the cool period in progress
    TimePoint work_until_;                 // no automatic cool before this
    TimePoint cycle_start_;                // schedule: the start of a work period
    bool over_ = false;
    std::optional<TimePoint> over_since_;
    std::optional<double> last_value_;
    std::string reason_;
};

}  // namespace corral::policies
