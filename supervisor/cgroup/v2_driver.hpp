#pragma once
// The driver for hosts where the cgroup root is a cgroup2 mount with controllers (pure v2).
//
// Layout, below the daemon's own cgroup <base> (what systemd delegates with Delegate=yes):
//   <base>/supervisor        the daemon itself, once controllers are enabled in <base>
//   <base>/<top>/api/0       one group per instance; "api" has the controllers enabled for its children
// The kernel's no-internal-process rule shapes the order: a group can enable controllers for its
// children only while no process sits in it, and a process can only join a group that enables none. So
// open() moves the daemon into <base>/supervisor before writing <base>/cgroup.subtree_control (unless
// <base> is the root cgroup, which is exempt), and instance groups are leaves. open() must run before
// the daemon starts any process: a child still in <base> makes enabling controllers fail (EBUSY).
//
// A daemon whose own cgroup is already named "supervisor" (restarted in place, or systemd's
// DelegateSubgroup=supervisor) takes its parent as <base>.
//
// cpu reaches the instance groups only once one needs it (a service with a CPU limit, or a sender the
// throttle caps): until then it is enabled in <base> alone, so that <top> weighs against the daemon, and
// every instance runs in <top>'s share, as systemd enables a controller only for the units that use it. A
// cpu level costs the scheduler at every wake-up (see v1_hierarchies.hpp). Once on, it stays on.
//
// Controllers <base> lacks are not fatal: the driver records them, unsupported() names the limits that
// need them, and writing such a limit fails with ENOENT naming the control file.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor::cgroup {

class V2Driver final : public Driver {
public:
    // The controllers corral uses, in the order it enables them.
    static const std::vector<std::string>& wanted_controllers();

    // Reads the daemon's own cgroup from options.self_cgroup (its "0::" line) and calls the other open().
    static Result<std::unique_ptr<V2Driver>> open(const DriverOptions& options);
    // Prepares <root>/<own_path> for delegation (see above) and creates <base>/<top>. `own_path` is the
    // daemon's cgroup as /proc/self/cgroup spells it ("/system.slice/corral.service").
    static Result<std::unique_ptr<V2Driver>> open(CgroupFs& fs, const fs::path& root, const std::string& own_path,
                                                  const std::string& top, pid_t self);

    std::string describe() const override;
    std::vector<std::string> unsupported(const Limits& limits) const override;
    Status create(const std::string& name, const Limits& limits) override;
    Status set_limits(const std::string& name, const Limits& limits) override;
    Status set_cpu_max(const std::string& name, std::optional<unsigned> max_percent) override;
    std::vector<JoinTarget> join_targets(const std::string& name) const override;
    Result<std::vector<pid_t>> procs(const std::string& name) override;
    Result<bool> populated(const std::string& name) override;
    Status freeze(const std::string& name, bool frozen) override;
    Status kill_all(const std::string& name) override;
    Result<MemoryStats> memory(const std::string& name) override;
    Status remove(const std::string& name) override;
    fs::path events_file(const std::string& name) const override;
    Result<int> open_oom_watch(const std::string& name) override;
    Result<std::uint64_t> oom_kills(const std::string& name) override;
    bool supports_pressure() const override;
    fs::path pressure_file(const std::string& name) const override;
    Result<std::string> memory_stat(const std::string& name) override;
    // memory.current; no threshold events (prepare_threshold stays ENOTSUP): see Driver.
    fs::path usage_file(const std::string& name) const override;
    fs::path cpu_stat_file(const std::string& name) const override;
    Status reset_peak(const std::string&) override { return {}; }
    Result<int> clear_leftovers() override;
    Status remove_top() override;

    const fs::path& base() const { return base_; }
    const fs::path& top_dir() const { return top_; }
    // The wanted controllers <base> offers, enabled in <base>; <top> and every intermediate group enable
    // them too, cpu only once an instance needs it.
    const std::vector<std::string>& controllers() const { return enabled_; }

private:
    V2Driver(CgroupFs& fs, fs::path base, fs::path top) : fs_(fs), base_(std::move(base)), top_(std::move(top)) {}

    Status prepare(pid_t self);
    bool has(const std::string& controller) const;
    fs::path dir_of(const std::string& name) const { return top_ / name; }
    Status write_limits(const fs::path& dir, const Limits& limits);
    // What <top> and the intermediate groups enable for their children now.
    std::vector<std::string> subtree_controllers() const;
    // Enables cpu below <top> (a no-op once on, or without the cpu controller).
    Status enable_cpu();

    CgroupFs& fs_;
    fs::path base_;
    fs::path top_;
    std::vector<std::string> offered_;  // <base>/cgroup.controllers as read, for messages
    bool cpu_on_ = false;               // cpu is enabled below <top>
    std::vector<std::string> enabled_;
    bool swap_accounted_ = false;  // memory.swap.max exists below <base>
};

// A group name relative to the top group: "api/0" is fine; "", "/x", "a/../b", "a//b", "a/" are not.
bool valid_group_name(const std::string& name);

}  // namespace corral::supervisor::cgroup
