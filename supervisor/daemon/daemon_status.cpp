// Daemon: what the control service asks of it to answer `status` and to find a command's instances.
#include <unistd.h>

#include "supervisor/daemon/daemon.hpp"
#include "supervisor/daemon/runtime_status.hpp"
#include "supervisor/daemon/status_file.hpp"

namespace corral::supervisor {

using nlohmann::json;

std::vector<Instance*> Daemon::resolve(const protocol::Target& target) const {
    std::vector<Instance*> found;
    for (const auto& service : services_) {
        if (!target.all() && service.spec->name != target.service) continue;
        for (const auto& instance : service.instances) {
            if (!target.index || instance->index() == *target.index) found.push_back(instance.get());
        }
    }
    return found;
}

namespace {

json cooling_json(const Instance& instance, policies::TimePoint now) {
    const auto cooling = instance.cooling_state(now);
    if (!cooling) return nullptr;
    return {{"mode", cooling->mode == policies::CoolingMode::freeze ? "freeze" : "hold"},
            {"left_ms", cooling->left ? json(cooling->left->count()) : json(nullptr)},
            {"reason", cooling->reason}};
}

// The sender throttle in force (null without one).
json throttle_json(const Instance& instance, policies::TimePoint now) {
    const auto throttle = instance.throttle_state();
    if (!throttle) return nullptr;
    return {{"cpu_percent", throttle->cpu_percent ? json(*throttle->cpu_percent) : json(nullptr)},
            {"frozen", throttle->frozen},
            {"for_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - throttle->since).count()},
            {"peak_unread_bytes", throttle->peak_unread}};
}

}  // namespace

json Daemon::status_json() const {
    const auto now = policies::Clock::now();
    json ipc = broker_.stats();
    json instances = json::array();
    std::vector<std::pair<const Instance*, bool>> shown;  // instance, whether it is a rollout's replacement
    for (const auto& service : services_) {
        for (const auto& instance : service.instances) shown.emplace_back(instance.get(), false);
        if (service.rollout && service.rollout->beside()) shown.emplace_back(service.rollout->beside(), true);
    }
    for (const auto& [instance, replacement] : shown) {
        {
            json status = instance_status(*instance, now);
            if (replacement) status["replacement"] = true;
            status["cooling"] = cooling_json(*instance, now);
            status["throttle"] = throttle_json(*instance, now);
            status["throttles"] = instance->throttles();
            status["channel_freezes"] = instance->channel_freezes();
            status["channel_frozen_ms"] = instance->channel_frozen_for(now).count();
            status["throttled_ms"] = instance->throttled_for(now).count();
            if (json runtime = runtime_json(*instance, now); !runtime.is_null()) status["runtime"] = std::move(runtime);
            instances.push_back(std::move(status));
        }
    }
    return {
        {"daemon",
         {{"pid", ::getpid()},
          {"version", CORRAL_VERSION},
          {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - started_at_).count()},
          {"config", config_.file.empty() ? json(nullptr) : json(config_.file.string())},
          {"state_dir", config_.supervisor.state_dir.string()},
          {"metrics", metrics_ ? json(metrics_->address()) : json(nullptr)},
          {"cgroups", cgroups_ ? json(cgroups_->describe()) : json(nullptr)}}},
        {"instances", std::move(instances)},
        {"routes", std::move(ipc["routes"])},
        {"channels", std::move(ipc["channels"])},
    };
}

}  // namespace corral::supervisor
