// Daemon: ad-hoc services. `add` puts one more service into the running config and applies it as a reload
// applies a new service; `delete` stops one and forgets it. They live in config_ beside the file's services
// and are remembered by name (adhoc_), so that a reload of the file keeps them.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "supervisor/config/service_toml.hpp"
#include "supervisor/daemon/daemon.hpp"

namespace corral::supervisor {

using protocol::ErrorCode;

namespace {

DaemonControl::ServiceChange refuse(ErrorCode code, std::string message) {
    DaemonControl::ServiceChange change;
    change.refused = code;
    change.message = std::move(message);
    return change;
}

// A daemon of `corral run` has no file: every service of it is ad-hoc.
bool is_adhoc(const std::set<std::string>& adhoc, const config::Config& config, const std::string& name) {
    return config.file.empty() || adhoc.contains(name);
}

nlohmann::json service_json(const config::ServiceSpec& spec, bool adhoc) {
    nlohmann::json env = nlohmann::json::object();
    for (const auto& [name, value] : spec.env) env[name] = value;
    return {{"name", spec.name},       {"adhoc", adhoc},
            {"command", spec.command}, {"shell", spec.shell},
            {"cwd", spec.cwd.string()}, {"env", std::move(env)},
            {"instances", spec.instances}, {"restart", std::string(policies::to_string(spec.restart))}};
}

}  // namespace

Daemon::ServiceChange Daemon::add_service(const config::ServiceSpec& requested) {
    const auto same_name = [&](const config::ServiceSpec& spec) { return spec.name == requested.name; };
    if (std::any_of(config_.services.begin(), config_.services.end(), same_name)) {
        const std::string from = is_adhoc(adhoc_, config_, requested.name) ? std::string("added earlier")
                                                                 : "defined in " + config_.file.string();
        return refuse(ErrorCode::bad_args, "a service named \"" + requested.name + "\" already runs (" + from +
                                               "); delete it first or choose another name");
    }
    auto checked = config::check_run_service(requested);
    if (auto* problem = std::get_if<std::string>(&checked)) return refuse(ErrorCode::bad_args, std::move(*problem));
    config::Config next = config_;
    next.services.push_back(std::move(std::get<config::ServiceSpec>(checked)));
    broker_.configure(broker_config(next));
    ReloadOutcome outcome;
    apply(next, outcome);
    config_ = std::move(next);
    adhoc_.insert(requested.name);
    ServiceChange change;
    for (const Service& service : services_) {
        if (service.spec->name != requested.name) continue;
        for (const auto& instance : service.instances) change.instances.push_back(instance.get());
    }
    change.awaited = std::move(outcome.awaited);
    schedule_status();
    return change;
}

Daemon::ServiceChange Daemon::delete_service(const std::string& name) {
    const auto service = std::find_if(services_.begin(), services_.end(),
                                      [&](const Service& s) { return s.spec && s.spec->name == name; });
    if (service == services_.end()) return refuse(ErrorCode::not_found, "no service \"" + name + "\"");
    if (!is_adhoc(adhoc_, config_, name)) {
        return refuse(ErrorCode::failed, "\"" + name + "\" is a service of " + config_.file.string() +
                                             ": remove it from that file and run corral reload (corral stop " + name +
                                             " stops it until then)");
    }
    spdlog::info("{}: deleted, stopping it", name);
    ServiceChange change;
    for (const auto& instance : service->instances) change.instances.push_back(instance.get());
    if (service->rollout) abort_rollout(*service);
    retire_instances(*service, 0, change.awaited);
    services_.erase(service);
    std::erase_if(config_.services, [&](const config::ServiceSpec& spec) { return spec.name == name; });
    adhoc_.erase(name);
    broker_.configure(broker_config(config_));
    schedule_status();
    return change;
}

nlohmann::json Daemon::services_json() const {
    nlohmann::json services = nlohmann::json::array();
    for (const auto& spec : config_.services) services.push_back(service_json(spec, is_adhoc(adhoc_, config_, spec.name)));
    return {{"file", config_.file.string()},
            {"state_dir", config_.supervisor.state_dir.string()},
            {"services", std::move(services)}};
}

std::vector<std::string> Daemon::keep_adhoc(config::Config& next) const {
    std::vector<std::string> file_took;
    for (const std::string& name : adhoc_) {
        const auto named = [&](const config::ServiceSpec& spec) { return spec.name == name; };
        if (std::any_of(next.services.begin(), next.services.end(), named)) {
            spdlog::info("{}: now defined in {}; the file's definition replaces the ad-hoc one", name,
                         next.file.string());
            file_took.push_back(name);
            continue;
        }
        const auto running = std::find_if(config_.services.begin(), config_.services.end(), named);
        if (running != config_.services.end()) next.services.push_back(*running);
    }
    return file_took;
}

}  // namespace corral::supervisor
