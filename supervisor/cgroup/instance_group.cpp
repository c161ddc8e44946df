#include "supervisor/cgroup/instance_group.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace corral::supervisor {

std::unique_ptr<InstanceGroup> InstanceGroup::create(cgroup::Driver& driver, const std::string& instance,
                                                     const std::string& name, const cgroup::Limits& limits) {
    if (Status created = driver.create(name, limits); !created) {
        spdlog::error("{}: {}", instance, created.error().message());
        return nullptr;
    }
    return std::unique_ptr<InstanceGroup>(new InstanceGroup(driver, instance, name));
}

InstanceGroup::~InstanceGroup() {
    if (Status removed = driver_.remove(name_); !removed) {
        spdlog::warn("{}: its cgroup stays: {}", instance_, removed.error().message());
    }
}

bool InstanceGroup::signal(int signal, pid_t leader) {
    Result<std::vector<pid_t>> pids = driver_.procs(name_);
    if (pids) {
        std::erase(*pids, standby_);
        known_ = *pids;
    }
    if (signal == SIGKILL) {
        if (Status killed = driver_.kill_all(name_); !killed) {
            spdlog::error("{}: {}; killing its process group and known processes instead", instance_,
                          killed.error().message());
            return false;
        }
        if (leader > 0) ::kill(leader, SIGKILL);  // twice does no harm
        return true;
    }
    if (!pids) {
        spdlog::error("{}: {}; signalling its process group and known processes instead", instance_,
                      pids.error().message());
        return false;
    }
    for (const pid_t pid : *pids) ::kill(pid, signal);
    // Not twice to the same process: a graceful-shutdown handler would run twice.
    if (leader > 0 && std::find(pids->begin(), pids->end(), leader) == pids->end()) ::kill(leader, signal);
    return true;
}

bool InstanceGroup::populated() {
    Result<bool> busy = driver_.populated(name_);
    if (busy && *busy && standby_ > 0) {
        Result<std::vector<pid_t>> pids = driver_.procs(name_);
        if (pids) busy = std::any_of(pids->begin(), pids->end(), [this](pid_t pid) { return pid != standby_; });
    }
    if (busy) {
        unreadable_ = false;
        return *busy;
    }
    if (!std::exchange(unreadable_, true)) spdlog::error("{}: {}", instance_, busy.error().message());
    std::erase_if(known_, [](pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; });
    return !known_.empty();
}

void InstanceGroup::set_limits(const cgroup::Limits& limits) {
    if (Status set = driver_.set_limits(name_, limits); !set) {
        spdlog::error("{}: new limits not applied: {}", instance_, set.error().message());
    }
}

}  // namespace corral::supervisor
