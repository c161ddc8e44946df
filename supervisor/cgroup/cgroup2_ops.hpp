#pragma once
// Operations on cgroup2 directories, shared by both drivers: on a hybrid host the controller-less
// unified hierarchy gives cgroup.kill, cgroup.freeze, cgroup.events and PSI; on a pure v2 host every
// group is a cgroup2 directory. Kernel-facing helpers only: no policy, no logging.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/cgroup/cgroup_fs.hpp"

namespace corral::supervisor::cgroup::v2 {

// Creates `dir` and any missing parent below `base` (which must exist); existing ones are fine.
Status make_dirs(CgroupFs& fs, const fs::path& base, const fs::path& dir);
// pids in `dir`'s cgroup.procs and in every sub-group's.
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
// "key value" lines (memory.stat, memory.events, cgroup.events, io.stat-less flat files).
Result<std::map<std::string, std::uint64_t>> read_keyed(CgroupFs& fs, const fs::path& file);
// A single number, or "max" as nullopt (memory.max, pids.max, memory.current, ...).
Result<std::optional<std::uint64_t>> read_value(CgroupFs& fs, const fs::path& file);

}  // namespace corral::supervisor::cgroup::v2
