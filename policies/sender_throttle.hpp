#pragma once
// When corral throttles a sender's CPU, and when it lifts the throttle (pure; the clock is passed in).
//
// The broker reads every sender eagerly, but a sender that never looks at send()'s return can still
// outrun it: when the daemon gets less CPU than the sender (a CPU-hungry service beside them on a small
// host), the sender's socket buffer fills and Node keeps the rest of what it sends in its own memory (the
// article's leak). The sign is on the daemon's end of the channel: bytes the sender wrote that the broker
// has not read yet (FIONREAD). They are sampled where the broker already reads that sender, so an idle
// sender costs nothing.
//   - engage: every sample for `for_` says at least `above` bytes wait unread. The broker may be draining
//     them already: it is behind all the same (a stall, such as a slow disk under its spill journal, is
//     seen as a burst of reads after it), and the sender filling its socket meanwhile is what to prevent;
//   - engage at once: one sample finds kAtOnce times `above` unread. The sender's socket is then well on
//     its way to full (Node keeps what does not fit in the sender's memory), and a broker that reads it
//     down in bursts after stalls never shows a window of samples above the threshold;
//   - tighten: while engaged, every sample for kTightenAfter (since the engagement or the last tightening)
//     finds at least kAtOnce times `above` waiting: the sender still outruns corral at this cap (a disk
//     under the spill journal that takes less than the throttled sender makes), so the cap is halved, down
//     to kFloorPercent;
//   - lift: once engaged for at least kLeastEngaged, a sample finds at most `above` / kLiftShare unread
//     (the broker has caught up). The least engaged time keeps a sender that refills the buffer at once
//     from being throttled and released several times a second. The next engagement starts again at
//     `cpu_percent`, unless it comes within kRemembered of the lift: then at the cap in force at the lift
//     (a sender that catches up only at 1% would otherwise run ahead again at 10% every time).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "policies/clock.hpp"

namespace corral::policies {

struct SenderThrottleParams {
    std::size_t above = 2u << 20;  // bytes unread on the daemon's end
    Duration for_{100};            // ... on every sample for this long
    unsigned cpu_percent = 10;     // the sender's CPU while throttled, percent of one CPU

    bool operator==(const SenderThrottleParams&) const = default;
};

enum class ThrottleDecision { none, engage, tighten, lift };

class SenderThrottle {
public:
    static constexpr Duration kLeastEngaged{500};
    static constexpr std::size_t kLiftShare = 8;
    static constexpr std::size_t kAtOnce = 4;
    static constexpr Duration kTightenAfter{500};
    static constexpr unsigned kFloorPercent = 1;
    static constexpr Duration kRemembered{2000};

    explicit SenderThrottle(SenderThrottleParams params) : params_(params) {}

    // One sample: `unread` bytes wait on the daemon's end at `now`.
    ThrottleDecision sample(TimePoint now, std::size_t unread);
    // The sender is gone (its incarnation ended): an engagement in force ends at `now`; true if there was one.
    bool release(TimePoint now);
    // The parameters changed (a reload): a throttle in force stays until the broker catches up.
    void set_params(SenderThrottleParams params) { params_ = params; }

    const SenderThrottleParams& params() const { return params_; }
    bool engaged() const { return engaged_since_.has_value(); }
    // The cap while engaged: `cpu_percent`, halved at each tightening.
    unsigned cap_percent() const { return cap_; }
    std::optional<TimePoint> engaged_since() const { return engaged_since_; }
    // Since engaged (or, while lifted, during the last time it was): the most bytes seen unread.
    std::size_t peak_unread() const { return peak_; }
    std::uint64_t engagements() const { return engagements_; }
    // Throttled time of every engagement that ended, plus the current one up to `now`.
    Duration throttled_for(TimePoint now) const;

private:
    SenderThrottleParams params_;
    std::optional<TimePoint> above_since_;  // first of the samples in a row at or above `above`
    std::optional<TimePoint> engaged_since_;
    std::optional<TimePoint> far_behind_since_;  // engaged: first of the samples in a row at kAtOnce * above
    TimePoint cap_set_{};                        // engaged: when the cap was last set
    std::optional<TimePoint> lifted_at_;         // the last lift
    unsigned cap_ = 0;
    std::size_t peak_ = 0;
    std::uint64_t engagements_ = 0;
    Duration throttled_{0};
};

}  // namespace corral::policies
