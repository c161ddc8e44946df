#pragma once
// The cgroup v1 hierarchies of a hybrid or plain v1 host (memory, pids, cpu, freezer), for the hybrid
// driver (hybrid_driver.hpp). libcgroup 2.0.2 creates the nested groups and writes the values, one per
// call so that an error names the file that refused it. Single files are read directly
// (cgroup_get_cgroup() would read every file of the group, 0.4 ms), and memory.stat's totals come from
// libcgroup's stat reader.
//
// Each hierarchy has its own path for the daemon (its line of /proc/self/cgroup): corral's top group sits
// below it in each, instance groups ("api/0") below that. A name of "" is the top group itself.
//
// The cpu hierarchy is the exception: an instance gets a cpu group of its own only when it needs one (its
// service sets a CPU limit, or the sender throttle caps it), and until then runs in the top group, as
// systemd enables a controller only for the units that use it. Every cgroup level a task sits below costs
// the scheduler at each wake-up (one more sched entity to enqueue): a round trip between two instances
// through the broker took 2 us longer with a cpu group each (bench/ipc.js; README, Performance). Memory
// and pids groups stay per instance: they are what corral supervises.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor::cgroup {

struct V1Hierarchy {
    std::string controller;
    fs::path mount;  // /sys/fs/cgroup/memory
    fs::path own;    // the daemon's group in it: /process_api/6828
};

// The mounted hierarchies of memory, pids, cpu and (with `freezer`) freezer that /proc/self/cgroup
// (`self_cgroup`) places the daemon in. Initialises libcgroup first (once per process: it parses the
// mount table).
Result<std::vector<V1Hierarchy>> find_v1_hierarchies(std::string_view self_cgroup, bool freezer);

class V1Hierarchies {
public:
    V1Hierarchies(std::vector<V1Hierarchy> hierarchies, std::string top, CgroupFs& fs);

    const std::vector<V1Hierarchy>& all() const { return hierarchies_; }
    const V1Hierarchy* find(std::string_view controller) const;
    // Swap accounting is on (memory.memsw.limit_in_bytes exists).
    bool has_memsw() const { return has_memsw_; }
    // The directory of group `name` in `h`.
    fs::path dir(const V1Hierarchy& h, const std::string& name) const;
    // The group an instance `name` joins in hierarchy `h`: its own, except in cpu without one of its own.
    fs::path join_dir(const V1Hierarchy& h, const std::string& name) const;

    // Creates `name` (and missing parents) in every hierarchy; an existing group is fine.
    Status create(const std::string& name);
    // Every limit of `limits` in its hierarchy; unset ones back to unlimited.
    // A CPU limit gives the instance a cpu group of its own (see above); one it has keeps it.
    Status set_limits(const std::string& name, const Limits& limits);
    // cpu.cfs_quota_us alone (no cpu hierarchy: ENOTSUP); -1 without a cap. A cap on an instance without a
    // cpu group of its own makes it one (the cap written before its processes move in).
    Status set_cpu_max(const std::string& name, std::optional<unsigned> max_percent);
    // cpu.shares of the top group: kInstancesCpuWeight (nothing without a cpu hierarchy).
    Status weigh_top_cpu();
    // cgroup.procs of the first hierarchy (it reads the same in each); none without any.
    Result<std::vector<pid_t>> procs(const std::string& name);
    Result<bool> populated(const std::string& name);
    // The freezer's state, waited for (at most 1 s); ENOTSUP without the freezer.
    Status freeze(const std::string& name, bool frozen);
    // Freezes so that nothing forks while the list is read, kills each, thaws (the v1 freezer delivers
    // the SIGKILLs only once thawed); without the freezer, only kills each.
    Status kill_all(const std::string& name);
    // Polls until the top group holds no process; ETIMEDOUT after `timeout`.
    Status wait_empty(std::chrono::milliseconds timeout);

    // The memory controller's counters and memory.stat's totals (no PSI: v1 has none).
    Result<MemoryStats> memory(const std::string& name);
    // An eventfd registered on memory.oom_control through cgroup.event_control.
    Result<int> open_oom_watch(const std::string& name);
    Result<std::uint64_t> oom_kills(const std::string& name);
    // A registration on memory.usage_in_bytes for `bytes` through cgroup.event_control, not yet written.
    Result<ThresholdRegistration> prepare_threshold(const std::string& name, std::uint64_t bytes);
    fs::path usage_file(const std::string& name) const;
    Status reset_peak(const std::string& name);
    Result<std::string> memory_stat(const std::string& name);

private:
    // An eventfd on `file` of the memory group `name`, with `argument` after the two fds; prepared
    // (event_control not opened) or registered.
    Result<ThresholdRegistration> prepare_event(const std::string& name, const char* file, const std::string& argument);
    Result<int> register_event(const std::string& name, const char* file, const std::string& argument);
    Status set_memory_limits(const V1Hierarchy& memory, const std::string& name, const MemoryLimits& limits);
    Status create_in(const V1Hierarchy& h, const std::string& name);
    bool lazy(const V1Hierarchy& h, const std::string& name) const;
    bool has_own(const V1Hierarchy& h, const std::string& name) const;
    // Moves every process of `name` (as its membership hierarchy lists them) into its own cpu group.
    Status move_into_cpu(const V1Hierarchy& cpu, const std::string& name);
    // The hierarchy whose cgroup.procs says who is in an instance: the first that is not cpu.
    const V1Hierarchy* membership() const;
    Status set(const V1Hierarchy& h, const std::string& name, const char* key, const std::string& value);
    // libcgroup names a group by its path below the controller's mount point.
    std::string libcgroup_name(const V1Hierarchy& h, const std::string& name) const;
    void read_stat_totals(const V1Hierarchy& memory, const std::string& name, MemoryStats& stats) const;

    std::vector<V1Hierarchy> hierarchies_;
    std::string top_;
    CgroupFs& fs_;
    bool has_memsw_ = false;
};

}  // namespace corral::supervisor::cgroup
