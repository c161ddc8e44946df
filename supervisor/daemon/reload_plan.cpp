#include "supervisor/daemon/reload_plan.hpp"

#include <algorithm>

namespace corral::supervisor {
namespace {

// The sockets it inherits and the environment that describes them (CORRAL_STOP_SIGNAL among it); a new
// backlog or unix socket mode is applied to the held sockets without a restart.
bool same_sockets(const config::ServiceSpec& a, const config::ServiceSpec& b) {
    return a.listen.addresses == b.listen.addresses && a.listen.adopt == b.listen.adopt &&
           (a.listen.addresses.empty() || a.stop.signal == b.stop.signal);
}

// What the process is started with: its command line and environment (NODE_OPTIONS included, which
// node_diagnostics, node_agent and memory.snapshot_at shape, and the IPC channel's serialization; liveness
// asks the agent to take requests for the stack). Cooling is not among them: its params are applied to running
// instances, and so are liveness's thresholds.
bool same_process(const config::ServiceSpec& a, const config::ServiceSpec& b) {
    return a.command == b.command && a.shell == b.shell && a.cwd == b.cwd && a.env == b.env &&
           a.node_diagnostics == b.node_diagnostics && a.node_agent == b.node_agent && a.ipc == b.ipc &&
           a.memory_watch.snapshot_at.has_value() == b.memory_watch.snapshot_at.has_value() &&
           a.liveness.has_value() == b.liveness.has_value() && same_sockets(a, b);
}

const config::ServiceSpec* find(const std::vector<config::ServiceSpec>& specs, const std::string& name) {
    const auto it = std::find_if(specs.begin(), specs.end(), [&](const auto& spec) { return spec.name == name; });
    return it == specs.end() ? nullptr : &*it;
}

}  // namespace

std::string_view reload_action_name(ReloadAction action) {
    switch (action) {
        case ReloadAction::add: return "add";
        case ReloadAction::remove: return "remove";
        case ReloadAction::keep: return "keep";
        case ReloadAction::update: return "update";
        case ReloadAction::restart: return "restart";
    }
    return "?";
}

std::vector<ReloadStep> plan_reload(const std::vector<config::ServiceSpec>& running,
                                    const std::vector<config::ServiceSpec>& next) {
    std::vector<ReloadStep> steps;
    for (const auto& spec : next) {
        const config::ServiceSpec* old = find(running, spec.name);
        ReloadAction action = ReloadAction::add;
        if (old != nullptr) {
            if (*old == spec) {
                action = ReloadAction::keep;
            } else if (same_process(*old, spec)) {
                action = ReloadAction::update;
            } else {
                action = ReloadAction::restart;
            }
        }
        steps.push_back({spec.name, action});
    }
    for (const auto& spec : running) {
        if (find(next, spec.name) == nullptr) steps.push_back({spec.name, ReloadAction::remove});
    }
    return steps;
}

}  // namespace corral::supervisor
