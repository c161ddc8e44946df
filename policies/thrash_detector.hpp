#pragma once
// Thrashing: with a memory limit close to its working set, a process may never be OOM-killed; the kernel
// keeps evicting and re-reading its pages instead, and it makes no progress. corral calls that a memory
// death when, over the last ThrashParams::window, either
//   - the cgroup's memory pressure (PSI "full": time in which every task waited for memory) was above
//     ThrashParams::full_percent of the time, or
//   - its pages were read back at kThrashRefaultsPerSecond or more (workingset refaults: pages that were
//     still in use when they were evicted), whatever PSI says.
// Both are computed from cumulative counters (PSI's `total=` stall microseconds, the refault counter)
// between the newest sample and the newest one at least a window older: what happened between samples
// counts as much as what a sample catches, and one quiet sample does not start the window over. (Seen on
// these machines: thrashing at 64 MiB with ~150k refaults/s but PSI full at only 10-15% when the process
// gets little CPU, and at 2.3% on a quiet machine, where the re-reads wait on the disk and PSI counts
// them as I/O: pressure alone, or refaults with a pressure floor, catch it in some runs and not others.)
//
// Pure: samples and the clock come in; no I/O.
#include <cstdint>
#include <deque>
#include <optional>

#include "policies/clock.hpp"
#include "policies/memory_watch.hpp"

namespace corral::policies {

inline constexpr double kThrashRefaultsPerSecond = 10'000;  // pages (4 KiB): 40 MiB/s read back

struct ThrashSample {
    TimePoint at;
    std::optional<std::uint64_t> full_stall_us;  // PSI full total; nullopt without PSI
    std::uint64_t refaults = 0;                  // workingset refaults, anon + file
};

// What the window showed, for the log and the post-mortem.
struct ThrashMeasure {
    Duration span{0};
    std::optional<double> full_percent;  // PSI full over the span
    double refaults_per_s = 0;
};

class ThrashDetector {
public:
    // Returns the measurement when the window shows thrashing (the instance should be killed).
    std::optional<ThrashMeasure> on_sample(const ThrashParams& params, const ThrashSample& sample);
    void reset() { samples_.clear(); }

private:
    std::deque<ThrashSample> samples_;
};

// Whether `measure` is thrashing under `params` (the rule above; the span is not checked).
bool is_thrashing(const ThrashParams& params, const ThrashMeasure& measure);

}  // namespace corral::policies
