#pragma once
// Thrashing: with a memory limit close to its working set, a process may never be OOM-killed; the kernel
// keeps evicting and re-reading its pages instead, and it makes no progress. corral calls that a memory
// death when the cgroup's memory pressure (PSI "full": time in which every task waited for memory) stays
// above ThrashParams::full_percent for ThrashParams::window.
//
// Pressure counts as high at a moment when the cgroup's PSI trigger ("full" stall of full_percent of a
// 2 s window) fired within the last two windows, or when the sampled full avg10 is above the threshold;
// the trigger follows the pressure within seconds, avg10 lags by design.
#include <optional>

#include "policies/clock.hpp"
#include "policies/memory_watch.hpp"

namespace corral::policies {

inline constexpr Duration kPressureTriggerWindow{2'000};

class ThrashDetector {
public:
    void on_trigger(TimePoint now);
    // Returns true when pressure has been high for the whole window (the instance should be killed).
    bool on_sample(const ThrashParams& params, TimePoint now, double full_avg10_percent);
    void reset();

    std::optional<TimePoint> high_since() const { return high_since_; }

private:
    bool triggered_recently(TimePoint now) const;

    std::optional<TimePoint> last_trigger_;
    std::optional<TimePoint> high_since_;
};

}  // namespace corral::policies
