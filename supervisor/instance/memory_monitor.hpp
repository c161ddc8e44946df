#pragma once
// Watches the memory of one instance's cgroup, for as long as the instance exists:
//  - OOM notifications, event-driven (v1 eventfd on memory.oom_control, v2 inotify on memory.events): the
//    owner hears on_oom_event() as the group runs out of memory, usually before the SIGKILL arrives;
//  - memory.restart_at and memory.snapshot_at armed in the kernel where it can tell (v1 thresholds on
//    memory.usage_in_bytes): the owner hears on_memory_threshold() and samples in full at once;
//  - the sampler's ticks: each reads the group's cheap usage counter (tick(), then check_usage() against
//    the thresholds), and policies::MemoryPacing says when to read the full statistics (sample()). Where
//    the kernel can tell (v1), a band of two more thresholds at the last full reading +- the pacing's
//    moved_bytes replaces that read: while usage stays inside the band and the group is calm, a tick
//    reads nothing but the usage counter every 5 s; a crossing marks the group as moved and the next tick
//    reads in full. Those are kept in a timeline (10 minutes; a row per full reading: when something
//    moved, and at a calm pace otherwise) for post-mortems, and checked against the thresholds and the
//    thrash detector (which works on the cumulative PSI and refault counters of the full readings).
// Decisions come from policies; this class only measures and reports.
#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/unique_fd.hpp"
#include "base/uv_handle.hpp"
#include "policies/memory_pacing.hpp"
#include "policies/memory_watch.hpp"
#include "policies/thrash_detector.hpp"
#include "supervisor/cgroup/driver.hpp"
#include "supervisor/cgroup/usage_counter.hpp"
#include "supervisor/instance/memory_thresholds.hpp"
#include "supervisor/instance/memory_timeline.hpp"

namespace corral::supervisor {

class MemoryMonitor {
public:
    enum class Action { none, snapshot, restart, kill_thrashing };
    struct Verdict {
        Action action = Action::none;
        std::string why;  // the measurement, for the log and the post-mortem
    };

    class Owner {
    public:
        virtual void on_oom_event() = 0;
        // A threshold armed in the kernel was crossed: the owner reads in full now (sample()), which
        // verifies it.
        virtual void on_memory_threshold() = 0;

    protected:
        ~Owner() = default;
    };

    // `instance` names it in log lines ("api#0"); `group` is its cgroup ("api/0").
    MemoryMonitor(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group, Owner& owner,
                  std::size_t timeline_capacity);
    MemoryMonitor(const MemoryMonitor&) = delete;
    MemoryMonitor& operator=(const MemoryMonitor&) = delete;

    // A new incarnation starts: per-incarnation state (snapshot taken, thrashing, OOM counter) resets.
    void start_incarnation(const policies::MemoryWatch& watch);
    // The cheap half of a tick: true when the full statistics are due now (always with `eager`: a
    // cooling trigger that needs them every tick). Reads the usage counter, unless the kernel watches it
    // for us (v1: a band of thresholds around the last full reading, see below) and `counter` (cooling's
    // memory trigger needs its value every tick) is false.
    bool tick(policies::TimePoint now, bool eager, bool counter);
    // A tick without a full reading: the counter against the thresholds.
    Verdict check_usage();
    // A full reading; returns what should be done about it, at most once per incarnation.
    Verdict sample(const cgroup::MemoryStats& stats, std::uint64_t written_bytes_total, std::int64_t now_ms,
                   policies::TimePoint now);
    // The last full reading differed from the one before in what status shows (not PSI's averages).
    bool changed() const { return changed_; }
    // The last full reading with the counter's latest value as `current` (for cooling's memory trigger).
    std::optional<cgroup::MemoryStats> latest() const;
    const MemoryThresholds& thresholds() const { return thresholds_; }

    const MemoryTimeline& timeline() const { return timeline_; }
    void set_timeline_capacity(std::size_t capacity) { timeline_.set_capacity(capacity); }
    std::uint64_t oom_kills_at_start() const { return oom_kills_at_start_; }
    bool oom_event_seen() const { return oom_event_seen_; }
    // memory.stat as read when the group ran out of memory (the best picture of the death), or "".
    const std::string& stat_at_oom() const { return stat_at_oom_; }
    const std::optional<cgroup::MemoryStats>& last() const { return last_; }
    // Bytes per second the group wrote to storage between the last two samples.
    double write_rate() const { return write_rate_; }
    // Read from the cgroup now, for the evidence of a death.
    Result<std::uint64_t> oom_kills_now() const { return driver_.oom_kills(group_); }
    Result<cgroup::MemoryStats> memory_now() const { return driver_.memory(group_); }
    Result<std::string> memory_stat_now() const { return driver_.memory_stat(group_); }

private:
    static void on_oom_ready(uv_poll_t* poll, int status, int events);
    void handle_oom_ready();
    Verdict check_thresholds(std::uint64_t current, std::optional<std::uint64_t> max);
    void arm_thresholds(std::optional<std::uint64_t> max);
    void arm_band(std::uint64_t current);
    void check_band();

    uv_loop_t* loop_;
    cgroup::Driver& driver_;
    std::string instance_;
    std::string group_;
    Owner& owner_;
    MemoryTimeline timeline_;
    policies::MemoryWatch watch_;
    policies::ThrashDetector thrash_;
    std::optional<cgroup::MemoryStats> last_;
    policies::MemoryPacing pacing_;
    cgroup::UsageCounter usage_;
    std::optional<std::uint64_t> current_;  // the counter at the last tick
    bool changed_ = false;
    double write_rate_ = 0;
    std::optional<std::uint64_t> last_written_;
    std::int64_t last_written_ms_ = 0;
    std::uint64_t oom_kills_at_start_ = 0;
    bool oom_event_seen_ = false;
    bool acted_ = false;           // restart or kill already asked for in this incarnation
    bool snapshot_taken_ = false;
    std::string stat_at_oom_;
    UniqueFd oom_fd_;
    UvHandle<uv_poll_t> oom_poll_;
    MemoryThresholds thresholds_;
    bool thresholds_armed_ = false;  // the kernel watches restart_at and snapshot_at
    MemoryThresholds band_thresholds_;  // at band_
    std::pair<std::uint64_t, std::uint64_t> band_;  // the last full reading +- moved_bytes
    bool band_armed_ = false;
    bool moved_ = false;             // the band was crossed since the last full reading
    policies::TimePoint band_looked_{};  // when a calm tick last read the counter against the band
};

}  // namespace corral::supervisor
