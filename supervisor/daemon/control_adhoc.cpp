// ControlService: add and delete, the commands that change which services run (ad-hoc apps). The daemon
// does the change (DaemonControl::add_service, delete_service); this answers at once, or with "wait": true
// once the added instances run (as start) or the deleted ones are down and reaped (as stop).
#include <spdlog/spdlog.h>

#include "supervisor/daemon/control_service.hpp"

namespace corral::supervisor {

using nlohmann::json;
using protocol::ErrorCode;

namespace {

config::ServiceSpec spec_of(const protocol::Add& command) {
    config::ServiceSpec spec;
    spec.name = command.service;
    spec.command = command.command;
    spec.cwd = command.cwd;
    if (command.env) spec.env = *command.env;
    if (command.instances) spec.instances = *command.instances;
    if (command.restart) spec.restart = *command.restart;
    return spec;
}

json names_of(const std::vector<Instance*>& instances) {
    json names = json::array();
    for (const Instance* instance : instances) names.push_back(instance->name());
    return names;
}

}  // namespace

void ControlService::add_service(Client& client, std::int64_t id, const protocol::Add& command) {
    if (daemon_.shutting_down()) {
        client.fail(id, ErrorCode::shutting_down, "the daemon is stopping");
        return;
    }
    spdlog::info("control: add {}{}", command.service, command.waits() ? " (waiting)" : "");
    if (command.waits()) waiters_.record();
    const DaemonControl::ServiceChange change = daemon_.add_service(spec_of(command));
    json result = {{"service", command.service},
                   {"file", daemon_.config_file().string()},
                   {"state_dir", daemon_.state_dir().string()}};
    answer_change(client, id, change, std::move(result), command.waits(), command.timeout);
}

void ControlService::delete_service(Client& client, std::int64_t id, const protocol::Delete& command) {
    spdlog::info("control: delete {}{}", command.service, command.waits() ? " (waiting)" : "");
    if (command.waits()) waiters_.record();
    const DaemonControl::ServiceChange change = daemon_.delete_service(command.service);
    answer_change(client, id, change, {{"service", command.service}}, command.waits(), command.timeout);
}

void ControlService::answer_change(Client& client, std::int64_t id, const DaemonControl::ServiceChange& change,
                                   json result, bool wait, std::optional<policies::Duration> timeout) {
    if (change.refused) {
        if (wait) waiters_.discard();
        client.fail(id, *change.refused, change.message);
        return;
    }
    result["instances"] = names_of(change.instances);
    if (!wait) {
        client.reply(id, result);
        return;
    }
    waiters_.wait(client, id, std::move(result), change.awaited, timeout);
}

}  // namespace corral::supervisor
