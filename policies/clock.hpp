#pragma once
// Time as the policies see it. Policies never read a clock: the caller passes `now`, so tests drive them
// with a fake clock and the daemon with steady_clock.
#include <chrono>

namespace corral::policies {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;

}  // namespace corral::policies
