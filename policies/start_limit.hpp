#pragma once
// Crash-loop detection: at most `burst` automatic restarts within any sliding `interval` (systemd's
// StartLimitBurst / StartLimitIntervalSec). Every automatic restart counts, not only fast ones, so a
// service that dies every two seconds is caught as surely as one that dies at once.
#include <cstddef>
#include <deque>

#include "policies/clock.hpp"

namespace corral::policies {

struct StartLimitParams {
    unsigned burst = 5;
    Duration interval{10'000};  // 0 disables the limit

    bool operator==(const StartLimitParams&) const = default;
};

class StartLimitWindow {
public:
    // Records a restart at `now` and returns true, or returns false (recording nothing) when the
    // window is already full.
    bool admit(const StartLimitParams& params, TimePoint now);
    void reset() { restarts_.clear(); }
    std::size_t count() const { return restarts_.size(); }

private:
    std::deque<TimePoint> restarts_;
};

}  // namespace corral::policies
