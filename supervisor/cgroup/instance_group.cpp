#include "supervisor/cgroup/instance_group.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

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

void InstanceGroup::signal(int signal) {
    if (signal == SIGKILL) {
        if (Status killed = driver_.kill_all(name_); !killed) {
            spdlog::error("{}: {}", instance_, killed.error().message());
        }
        return;
    }
    Result<std::vector<pid_t>> pids = driver_.procs(name_);
    if (!pids) {
        spdlog::error("{}: {}", instance_, pids.error().message());
        return;
    }
    for (const pid_t pid : *pids) ::kill(pid, signal);
}

bool InstanceGroup::populated() {
    Result<bool> busy = driver_.populated(name_);
    if (!busy) {
        spdlog::error("{}: {}", instance_, busy.error().message());
        return true;
    }
    return *busy;
}

void InstanceGroup::set_limits(const cgroup::Limits& limits) {
    if (Status set = driver_.set_limits(name_, limits); !set) {
        spdlog::error("{}: new limits not applied: {}", instance_, set.error().message());
    }
}

}  // namespace corral::supervisor
