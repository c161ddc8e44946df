#pragma once
// The CPU use of one instance as top and pm2 show it: the CPU time its group used between two readings of
// its cumulative counter, in percent of one CPU over the wall time between them (200 = two CPUs busy all
// the time). Pure: the caller reads the counter and passes the time.
#include <cstdint>
#include <optional>

#include "policies/clock.hpp"

namespace corral::policies {

// 100 * cpu_usec / wall_usec; nullopt when no wall time passed.
std::optional<double> cpu_percent(std::uint64_t cpu_usec, std::int64_t wall_usec);

class CpuPercent {
public:
    // A reading of the cumulative usage (microseconds) at `now`. Returns the percentage since the previous
    // reading: nullopt for the first one, and when the counter went back (a new group) the reading starts
    // over. A reading at the same time as the previous one changes nothing.
    std::optional<double> sample(std::uint64_t usage_usec, TimePoint now);
    // The last percentage (nullopt before two readings, and after forget()).
    std::optional<double> last() const { return last_; }
    // The program is gone: no percentage until two new readings.
    void forget();

private:
    std::optional<std::uint64_t> usage_usec_;
    TimePoint at_{};
    std::optional<double> last_;
};

}  // namespace corral::policies
