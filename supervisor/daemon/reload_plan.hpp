#pragma once
// What a reload does to each service, decided from the running specs and the new ones (pure).
//   add      a new service: start its instances
//   remove   gone from the file: stop its instances
//   keep     nothing changed
//   update   only settings read at decision time changed (restart, backoff, start_limit, stop, logs,
//            limits, memory thresholds, cooling, instances): apply them live, scale, restart nothing
//            (new cooling params go to each instance's CoolingPolicy::update)
//   restart  what the process was started with changed (command, shell, cwd, env, node_diagnostics, having
//            a memory.snapshot_at or not, its listening sockets): restart every instance
#include <string>
#include <vector>

#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor {

enum class ReloadAction { add, remove, keep, update, restart };

struct ReloadStep {
    std::string service;
    ReloadAction action;
};

std::string_view reload_action_name(ReloadAction action);  // "add", "remove", "keep", "update", "restart"

// Steps in the order of `next` (the file), then the removals in the order of `running`.
std::vector<ReloadStep> plan_reload(const std::vector<config::ServiceSpec>& running,
                                    const std::vector<config::ServiceSpec>& next);

}  // namespace corral::supervisor
