#include "supervisor/daemon/cgroup_setup.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "supervisor/cgroup/self_cgroup.hpp"

namespace corral::supervisor {

using config::CgroupMode;

namespace {

// Limits, and the memory watch, need the instance's cgroup.
bool needs_cgroup(const config::ServiceSpec& service) {
    const auto& watch = service.memory_watch;
    return service.limits != cgroup::Limits{} || watch.restart_at || watch.snapshot_at ||
           (watch.thrashing.configured && watch.thrashing.enabled);
}

}  // namespace

CgroupSetup setup_cgroups(const config::Config& config) {
    CgroupSetup setup;
    const CgroupMode mode = config.supervisor.cgroups;
    if (mode == CgroupMode::off) {
        spdlog::info("cgroups are off: services run in process groups, without resource limits");
        return setup;
    }
    cgroup::DriverOptions options;
    options.root = config.supervisor.cgroup_root;
    options.top = cgroup::top_group_name(config.supervisor.state_dir);
    options.self_cgroup = cgroup::read_self_cgroup();
    options.self = getpid();
    Result<std::unique_ptr<cgroup::Driver>> driver = cgroup::open_driver(options);
    if (!driver) {
        if (mode == CgroupMode::required) {
            setup.error = "cgroups are required (cgroups = \"required\") but cannot be used: " +
                          driver.error().message();
        } else {
            spdlog::warn("cgroups are not available, services run without resource limits: {}",
                         driver.error().message());
        }
        return setup;
    }
    setup.driver = std::move(*driver);
    spdlog::info("{}", setup.driver->describe());
    Result<int> cleared = setup.driver->clear_leftovers();
    if (!cleared) {
        setup.error = "cannot clean up the cgroups of an earlier daemon: " + cleared.error().message();
        return setup;
    }
    if (*cleared > 0) {
        spdlog::warn("an earlier daemon with this state directory left {} process(es) behind: killed them and "
                     "removed its cgroups",
                     *cleared);
    }
    return setup;
}

std::vector<std::string> unapplicable_limits(const config::Config& config, const cgroup::Driver* driver,
                                             const std::string& why_no_driver) {
    std::vector<std::string> problems;
    for (const auto& service : config.services) {
        if (!needs_cgroup(service)) continue;
        if (driver == nullptr) {
            problems.push_back(service.name + ": limits not applied: " + why_no_driver);
            continue;
        }
        for (const auto& missing : driver->unsupported(service.limits)) problems.push_back(service.name + ": " + missing);
        const auto& thrashing = service.memory_watch.thrashing;
        if (thrashing.configured && thrashing.enabled && !driver->supports_pressure()) {
            problems.push_back(service.name + ": memory.thrashing: cgroups here have no memory pressure (PSI) file");
        }
    }
    return problems;
}

bool accept_limits(const config::Config& config, const cgroup::Driver* driver, const std::string& why_no_driver) {
    const std::vector<std::string> problems = unapplicable_limits(config, driver, why_no_driver);
    const bool required = config.supervisor.cgroups == CgroupMode::required;
    for (const auto& problem : problems) {
        if (required) {
            spdlog::error("{}", problem);
        } else {
            spdlog::warn("{}", problem);
        }
    }
    return !(required && !problems.empty());
}

}  // namespace corral::supervisor
