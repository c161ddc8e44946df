#pragma once
// The cgroup of one instance ("api/0"): created with its limits before the instance's first start, kept
// across restarts (its memory accounting with it), removed when the instance goes away, and only once it
// is empty. Errors are logged here, once, with the instance's name.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor {

class InstanceGroup {
public:
    // Creates the group and writes `limits`; nullptr (after logging why) when that fails.
    static std::unique_ptr<InstanceGroup> create(cgroup::Driver& driver, const std::string& instance,
                                                 const std::string& name, const cgroup::Limits& limits);
    ~InstanceGroup();
    InstanceGroup(const InstanceGroup&) = delete;
    InstanceGroup& operator=(const InstanceGroup&) = delete;

    const std::string& name() const { return name_; }
    std::vector<cgroup::JoinTarget> join_targets() const { return driver_.join_targets(name_); }
    // `signal` to every process in the group but the standby; SIGKILL uses the kernel's kill-all (the
    // standby dies too). `leader`, the incarnation's own process, gets it too if it is not in the group yet:
    // the exec shim of a start joins the group before its exec, and a stop may come first. False (after
    // logging why) when the group's files could not be read or written: the caller then falls back to the
    // process group and to known_pids().
    bool signal(int signal, pid_t leader);
    // The instance's standby (its next incarnation, waiting in the group before its exec), 0 for none:
    // not one of the running incarnation's processes for populated() and signal().
    void set_standby(pid_t pid) { standby_ = pid; }
    // The processes seen in the group when it was last read.
    const std::vector<pid_t>& known_pids() const { return known_; }
    // True while any process but the standby is in the group. When the group cannot be read: true while
    // a known pid is alive (better wait than lose one).
    bool populated();
    void set_limits(const cgroup::Limits& limits);
    Result<cgroup::MemoryStats> memory() { return driver_.memory(name_); }

private:
    InstanceGroup(cgroup::Driver& driver, std::string instance, std::string name)
        : driver_(driver), instance_(std::move(instance)), name_(std::move(name)) {}

    cgroup::Driver& driver_;
    std::string instance_;  // "api#0", for log lines
    std::string name_;      // "api/0"
    std::vector<pid_t> known_;
    pid_t standby_ = 0;
    bool unreadable_ = false;  // populated() logged that the group cannot be read
};

}  // namespace corral::supervisor
