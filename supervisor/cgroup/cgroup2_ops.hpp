#pragma once
// Operations on cgroup2 directories, shared by both drivers: on a hybrid host the controller-less
// unified hierarchy gives cgroup.kill, cgroup.freeze, cgroup.events and PSI; on a pure v2 host every
// group is a cgroup2 directory. Kernel-facing helpers only: no policy, no logging.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/cgroup/cgroup_fs.hpp"

namespace corral::supervisor::cgroup::v2 {

// Creates `dir` and any missing parent below `base` (which must exist); existing ones are fine.
// EINVAL when `dir` is not below `base`.
Status make_dirs(CgroupFs& fs, const fs::path& base, const fs::path& dir);
// pids in `dir`'s cgroup.procs and in every sub-group's. A sub-group removed while it is read is skipped.
Result<std::vector<pid_t>> procs(CgroupFs& fs, const fs::path& dir);
// "populated" of cgroup.events: any process in `dir` or below.
Result<bool> populated(CgroupFs& fs, const fs::path& dir);
// cgroup.kill (Linux 5.14+); ENOENT when the kernel lacks it.
Status kill(CgroupFs& fs, const fs::path& dir);
// Writes cgroup.freeze and waits (at most ~1 s) until cgroup.events reports it done.
Status freeze(CgroupFs& fs, const fs::path& dir, bool frozen);
// Removes `dir` and its sub-groups, deepest first; EBUSY if any still holds a process. Verifies that
// `dir` is gone afterwards.
Status remove_tree(CgroupFs& fs, const fs::path& dir);
// "key value" lines (memory.stat, memory.events, cgroup.events, io.stat-less flat files); lines whose
// value is not a number are skipped.
Result<std::map<std::string, std::uint64_t>> read_keyed(CgroupFs& fs, const fs::path& file);
// A single number, or "max" as nullopt (memory.max, pids.max, memory.current, ...).
Result<std::optional<std::uint64_t>> read_value(CgroupFs& fs, const fs::path& file);

// The words of a list file: cgroup.controllers, cgroup.subtree_control.
Result<std::vector<std::string>> read_list(CgroupFs& fs, const fs::path& file);
// Writes "+a +b ..." to `dir`/cgroup.subtree_control in one write (nothing for an empty list). The
// kernel refuses with EBUSY while `dir` itself holds a process (unless it is the root), and with ENOENT
// for a controller missing from `dir`/cgroup.controllers.
Status enable_controllers(CgroupFs& fs, const fs::path& dir, const std::vector<std::string>& controllers);
// Moves process `pid` (all its threads) into `dir`.
Status attach(CgroupFs& fs, const fs::path& dir, pid_t pid);
// Polls cgroup.events until `dir` is empty; ETIMEDOUT after `timeout`.
Status wait_empty(CgroupFs& fs, const fs::path& dir, std::chrono::milliseconds timeout);
// For kernels without cgroup.kill: freezes `dir` (so that nothing forks meanwhile; skipped when
// cgroup.freeze is missing too), SIGKILLs every pid of procs() (a frozen process dies too), thaws.
// A pid that is already gone is not an error.
Status kill_by_signal(CgroupFs& fs, const fs::path& dir);
// cgroup.kill, or kill_by_signal() when the kernel has no cgroup.kill. ENOENT when `dir` is missing.
Status kill_all(CgroupFs& fs, const fs::path& dir);

struct Pressure {
    double some_avg10 = 0;
    double full_avg10 = 0;
    std::optional<std::uint64_t> full_total_us;  // cumulative stall time, microseconds
};
// A PSI file (memory.pressure): "some avg10=0.12 avg60=... total=...\nfull avg10=...".
Result<Pressure> read_pressure(CgroupFs& fs, const fs::path& file);

// An inotify fd (non-blocking, close-on-exec) watching `file` for modifications.
Result<int> watch_modifications(const fs::path& file);

}  // namespace corral::supervisor::cgroup::v2
