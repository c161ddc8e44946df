// ControlService: `describe TARGET`, everything the daemon knows about one service or one instance of it:
//   {"target":"web","service":{spec},"file":{"path","line"},"state_dir":...,
//    "instances":[status of each (status_file.hpp) + "logs":{"out","err"} + "runtime" (runtime_status.hpp)],
//    "routes":[route spec (describe_spec.hpp) + "live": the broker's counters of it, or null],
//    "postmortems":[as `corral postmortem --json` lists them, newest first]}
// An instance target describes its service's spec and that one instance.
#include "supervisor/config/service_line.hpp"
#include "supervisor/daemon/control_service.hpp"
#include "supervisor/daemon/describe_spec.hpp"
#include "supervisor/daemon/status_file.hpp"
#include "supervisor/daemon/status_filter.hpp"
#include "supervisor/postmortem/bundle_json.hpp"

namespace corral::supervisor {

using nlohmann::json;

namespace {

json instances_json(const std::vector<Instance*>& instances, const json& status) {
    const auto now = policies::Clock::now();
    json list = json::array();
    for (const Instance* instance : instances) {
        json entry = instance_status(*instance, now);
        // What status_json adds beside the status file's fields (cooling, throttle, runtime), from its entry.
        for (const auto& shown : status.value("instances", json::array())) {
            const bool same = shown.value("service", "") == instance->spec().name &&
                              shown.value("index", -1L) == static_cast<long>(instance->index());
            if (!same || shown.value("replacement", false)) continue;
            for (const char* key : {"cooling", "throttle", "throttles", "throttled_ms", "runtime"}) {
                if (shown.contains(key)) entry[key] = shown[key];
            }
        }
        entry["logs"] = {{"out", instance->out_log().string()}, {"err", instance->err_log().string()}};
        list.push_back(std::move(entry));
    }
    return list;
}

json routes_json(const config::Config& config, const std::string& service, const json& status) {
    json routes = json::array();
    for (const auto& route : config.routes) {
        if (route.from != service && route.to != service) continue;
        json entry = route_json(route);
        entry["live"] = nullptr;
        for (const auto& live : status.value("routes", json::array())) {
            if (live.value("from", "") == route.from && live.value("to", "") == route.to) entry["live"] = live;
        }
        routes.push_back(std::move(entry));
    }
    return routes;
}

}  // namespace

void ControlService::describe(Client& client, std::int64_t id, const protocol::Target& target) {
    if (target.all()) {
        client.fail(id, protocol::ErrorCode::bad_args, "describe takes a service or an instance, not \"all\"");
        return;
    }
    const std::vector<Instance*> instances = found(client, id, target);
    if (instances.empty()) return;
    const config::ServiceSpec& spec = instances.front()->spec();
    const config::Config& config = daemon_.running_config();
    json status = daemon_.status_json();
    keep_only(status, target);

    json postmortems = json::array();
    for (const auto& info : postmortem::list_bundles(daemon_.state_dir(), protocol::target_text(target))) {
        postmortems.push_back(json::parse(postmortem::info_json(info).dump()));
    }
    const auto line = config::service_header_line_in(config.file, spec.name);
    client.reply(id, {{"target", protocol::target_text(target)},
                      {"service", spec_json(spec)},
                      {"file",
                       {{"path", config.file.empty() ? json(nullptr) : json(config.file.string())},
                        {"line", line ? json(*line) : json(nullptr)}}},
                      {"state_dir", daemon_.state_dir().string()},
                      {"cgroups", status.contains("daemon") ? status["daemon"].value("cgroups", json(nullptr)) : json(nullptr)},
                      {"instances", instances_json(instances, status)},
                      {"routes", routes_json(config, spec.name, status)},
                      {"postmortems", std::move(postmortems)}});
}

}  // namespace corral::supervisor
