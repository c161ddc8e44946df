#pragma once
// The CPU use of one instance, in percent of one CPU over the daemon's last sampling interval: its
// cgroup's cumulative CPU time (cgroup::CpuUsageCounter) read at each tick of the sampler while a program
// runs, turned into a percentage by policies::CpuPercent. Without a cgroup, or on a host whose groups
// have no cpu.stat (v1 without a unified hierarchy), there is none.
//
// Ownership: the Instance owns one for its whole life; it keeps its group's cpu.stat open.
#include <optional>
#include <string>

#include "policies/cpu_percent.hpp"
#include "supervisor/cgroup/cpu_usage.hpp"
#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor {

class CpuMeter {
public:
    // One tick of the sampler, the program running in `group` ("api/0").
    void sample(const cgroup::Driver& driver, const std::string& group, policies::TimePoint now);
    // The program is gone: no percentage until two readings of the next one.
    void forget() { percent_.forget(); }
    std::optional<double> percent() const { return percent_.last(); }
    // The group's CPU time at the last tick (its processes' together, since the group was made).
    std::optional<double> usage_seconds() const {
        return last_usec_ ? std::optional<double>(static_cast<double>(*last_usec_) / 1e6) : std::nullopt;
    }

private:
    cgroup::CpuUsageCounter counter_;
    std::string group_;  // whose counter is open
    bool unavailable_ = false;  // the group has no counter: not tried again
    policies::CpuPercent percent_;
    std::optional<std::uint64_t> last_usec_;
};

}  // namespace corral::supervisor
