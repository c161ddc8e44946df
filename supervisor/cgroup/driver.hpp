#pragma once
// One small interface over cgroup v1 and v2, so that the rest of corral never asks which one it runs on.
// A driver owns the top group `corral-<id>` below the daemon's own cgroup in every hierarchy it uses
// (the <id> comes from the state directory, so two daemons never collide); instance groups are named
// relative to it ("api/0").
//
// Rules every driver keeps:
//  - limits are written before any process joins a group (create() writes them; join_targets() are used
//    afterwards by the exec shim);
//  - a group is removed only when it is empty, and removal is verified (the directory is gone);
//  - an operation the host cannot do is an explicit error, never silently skipped.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/sys_result.hpp"
#include "supervisor/cgroup/cgroup_fs.hpp"
#include "supervisor/cgroup/limits.hpp"
#include "supervisor/cgroup/threshold_registration.hpp"

namespace corral::supervisor::cgroup {

struct MemoryStats {
    std::uint64_t current = 0;        // charged now: v2 memory.current, v1 memory.usage_in_bytes
    std::uint64_t peak = 0;           // v2 memory.peak (0 when the kernel lacks it), v1 memory.max_usage_in_bytes
    std::optional<std::uint64_t> max; // the hard limit in force; nullopt = unlimited
    std::uint64_t anon = 0;           // memory.stat: v2 anon, v1 total_rss
    std::uint64_t file = 0;           // v2 file, v1 total_cache
    std::uint64_t dirty = 0;          // v2 file_dirty, v1 total_dirty
    std::uint64_t writeback = 0;      // v2 file_writeback, v1 total_writeback
    std::uint64_t refault_anon = 0;   // workingset_refault_anon (v1: total_workingset_refault_anon)
    std::uint64_t refault_file = 0;   // workingset_refault_file (v1: total_workingset_refault_file)
    std::uint64_t oom_kills = 0;      // v2 memory.events oom_kill, v1 memory.oom_control oom_kill
    std::uint64_t limit_hits = 0;     // v2 memory.events max, v1 memory.failcnt
    std::optional<double> psi_some_avg10;  // memory.pressure of the group, percent; nullopt without PSI
    std::optional<double> psi_full_avg10;
    std::optional<std::uint64_t> psi_full_total_us;  // cumulative "full" stall, microseconds

    bool operator==(const MemoryStats&) const = default;
};

// A directory a process joins by writing its pid to cgroup.procs, and the hierarchy it belongs to as
// /proc/<pid>/cgroup names it ("memory", "pids", "cpu", "freezer"; "" for cgroup2).
struct JoinTarget {
    std::string hierarchy;
    fs::path dir;

    bool operator==(const JoinTarget&) const = default;
};

class Driver {
public:
    virtual ~Driver() = default;

    // For the log: "cgroup v2 at /sys/fs/cgroup/system.slice/corral.service/corral-1a2b3c4d5e6f", ...
    virtual std::string describe() const = 0;
    // The limits of `limits` this host cannot apply, one line each ("memory.swap_max: ...").
    virtual std::vector<std::string> unsupported(const Limits& limits) const = 0;

    // Creates group `name` (and missing parents) and writes `limits`; an existing group is reused and its
    // limits rewritten (unset ones back to unlimited).
    virtual Status create(const std::string& name, const Limits& limits) = 0;
    virtual Status set_limits(const std::string& name, const Limits& limits) = 0;
    // Only the CPU cap of `name`, in percent of one CPU (nullopt: none): v2 cpu.max, v1 cpu.cfs_quota_us.
    // The sender throttle moves it and puts the configured one back; the other limits stay untouched.
    virtual Status set_cpu_max(const std::string& name, std::optional<unsigned> max_percent) = 0;
    // Where a process writes its pid (cgroup.procs in each directory) to enter `name`.
    virtual std::vector<JoinTarget> join_targets(const std::string& name) const = 0;

    // Every process in `name` and its sub-groups.
    virtual Result<std::vector<pid_t>> procs(const std::string& name) = 0;
    virtual Result<bool> populated(const std::string& name) = 0;
    // Freezing is complete when this returns (or it returns an error).
    virtual Status freeze(const std::string& name, bool frozen) = 0;
    // SIGKILL to every process of `name`, frozen or not, grandchildren in other sessions included.
    virtual Status kill_all(const std::string& name) = 0;
    virtual Result<MemoryStats> memory(const std::string& name) = 0;
    // Removes `name` once it is empty; EBUSY when it is not.
    virtual Status remove(const std::string& name) = 0;

    // A file that changes when `name` empties or (un)freezes (cgroup.events), or "" when there is none.
    virtual fs::path events_file(const std::string& name) const = 0;

    // An fd that becomes readable when `name` runs out of memory or its OOM counters move: v1 an eventfd
    // registered on memory.oom_control through cgroup.event_control (it fires as the group enters OOM,
    // just before the kill), v2 an inotify watch on memory.events. The caller owns it, polls it, drains it
    // with read(), then asks oom_kills().
    virtual Result<int> open_oom_watch(const std::string& name) = 0;
    // The group's count of processes killed by the OOM killer.
    virtual Result<std::uint64_t> oom_kills(const std::string& name) = 0;
    // Whether groups have memory.pressure (PSI) here.
    virtual bool supports_pressure() const = 0;
    // The group's memory.pressure (PSI; on hybrid hosts in the unified hierarchy), or "" without one.
    virtual fs::path pressure_file(const std::string& name) const = 0;
    // Starts the group's memory peak over from its current usage (at each start of an instance). v2
    // resets memory.peak only for the file descriptor that wrote to it, so there the peak stays the
    // group's lifetime peak; this returns success.
    virtual Status reset_peak(const std::string& name) = 0;
    // memory.stat as the kernel writes it.
    virtual Result<std::string> memory_stat(const std::string& name) = 0;

    // The group's one cheap memory counter (v1 memory.usage_in_bytes, v2 memory.current), for a sampler
    // that keeps it open and reads it with pread() (see UsageCounter); "" without one.
    virtual fs::path usage_file(const std::string&) const { return {}; }
    // The group's cpu.stat, whose usage_usec is its CPU time so far (see CpuUsageCounter); "" without one
    // (v1 without a unified hierarchy: an instance has no CPU group of its own there).
    virtual fs::path cpu_stat_file(const std::string&) const { return {}; }
    // A threshold on the group's usage at `bytes` (either way), ready to be registered with
    // register_threshold() (which may block: call it off the loop); its eventfd becomes readable at each
    // crossing. v1 registers it on memory.usage_in_bytes through cgroup.event_control. ENOTSUP where the
    // kernel cannot tell (v2 signals only memory.high and memory.max, which a service may not have asked
    // for).
    virtual Result<ThresholdRegistration> prepare_threshold(const std::string& name, std::uint64_t) {
        return sys_error("watch a memory threshold of", name, ENOTSUP);
    }

    // Leftovers of an earlier daemon with the same top group: kills every process below the top group
    // and removes every group below it. Returns how many processes were killed.
    virtual Result<int> clear_leftovers() = 0;
    // Removes the top group itself (at shutdown, once every instance group is gone).
    virtual Status remove_top() = 0;
};

struct DriverOptions {
    fs::path root = "/sys/fs/cgroup";  // where cgroup filesystems are mounted
    std::string top;                   // "corral-<id>"
    std::string self_cgroup;           // contents of /proc/self/cgroup
    pid_t self = 0;                    // the daemon's pid (pure v2 moves it into a leaf)
    CgroupFs* fs = nullptr;            // real_cgroup_fs() unless a test says otherwise
    // Skip the statfs() detection and use the pure v2 driver: for tests that hand a fake cgroupfs in
    // `fs` (a directory tree in a temp dir is not a cgroup2 mount).
    bool assume_v2 = false;
};

// Detects the layout at `options.root` once (statfs: cgroup2 = pure v2; tmpfs with v1 mounts = hybrid),
// prepares the top group, and returns the driver; or why cgroups cannot be used here.
Result<std::unique_ptr<Driver>> open_driver(const DriverOptions& options);

// "corral-" + 12 hex digits of a hash of the absolute state directory.
std::string top_group_name(const fs::path& state_dir);

}  // namespace corral::supervisor::cgroup
