#pragma once
// Watches the memory of one instance's cgroup, for as long as the instance exists:
//  - OOM notifications, event-driven (v1 eventfd on memory.oom_control, v2 inotify on memory.events): the
//    owner hears on_oom_event() as the group runs out of memory, usually before the SIGKILL arrives;
//  - the samples the daemon's sampler feeds it: kept in a timeline (10 minutes) for post-mortems, and
//    checked against memory.snapshot_at, memory.restart_at and the thrash detector (which works on the
//    cumulative PSI and refault counters of the samples).
// Decisions come from policies; this class only measures and reports.
#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/unique_fd.hpp"
#include "base/uv_handle.hpp"
#include "policies/memory_watch.hpp"
#include "policies/thrash_detector.hpp"
#include "supervisor/cgroup/driver.hpp"
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
    // One sample from the sampler; returns what should be done about it, at most once per incarnation.
    Verdict sample(const cgroup::MemoryStats& stats, std::uint64_t written_bytes_total, std::int64_t now_ms,
                   policies::TimePoint now);

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

    uv_loop_t* loop_;
    cgroup::Driver& driver_;
    std::string instance_;
    std::string group_;
    Owner& owner_;
    MemoryTimeline timeline_;
    policies::MemoryWatch watch_;
    policies::ThrashDetector thrash_;
    std::optional<cgroup::MemoryStats> last_;
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
};

}  // namespace corral::supervisor
