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
    // `signal` to every process in the group; SIGKILL uses the kernel's kill-all.
    void signal(int signal);
    // True while any process is in the group (also when it cannot be read: better wait than lose one).
    bool populated();
    void set_limits(const cgroup::Limits& limits);
    Result<cgroup::MemoryStats> memory() { return driver_.memory(name_); }

private:
    InstanceGroup(cgroup::Driver& driver, std::string instance, std::string name)
        : driver_(driver), instance_(std::move(instance)), name_(std::move(name)) {}

    cgroup::Driver& driver_;
    std::string instance_;  // "api#0", for log lines
    std::string name_;      // "api/0"
};

}  // namespace corral::supervisor
