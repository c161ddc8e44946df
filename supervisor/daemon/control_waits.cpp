// ControlService: the commands that may wait for their result (start, stop, restart, reload) and signal.
// Without "wait" each answers at once, exactly as it always has; with it, the command acts and a Waiter
// (waiters.hpp) answers once its instances got where they were sent.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "policies/signal_names.hpp"
#include "supervisor/daemon/control_service.hpp"

namespace corral::supervisor {

using nlohmann::json;
using protocol::ErrorCode;

namespace {

json names_of(const std::vector<Instance*>& instances) {
    json names = json::array();
    for (const Instance* instance : instances) names.push_back(instance->name());
    return names;
}

// The changes of a reload as its reply lists them.
json changes_of(const DaemonControl::ReloadOutcome& outcome) {
    json changes = json::array();
    for (const auto& [service, action] : outcome.changes) changes.push_back({{"service", service}, {"action", action}});
    return changes;
}

}  // namespace

// Once the daemon is stopping, only stop is taken.
void ControlService::change_state(Client& client, std::int64_t id, std::string_view cmd, const protocol::Target& target,
                                  const WaitRequest& wait, void (Instance::*change)(), policies::WaitGoal goal) {
    if (daemon_.shutting_down() && goal != policies::WaitGoal::down) {
        client.fail(id, ErrorCode::shutting_down, "the daemon is stopping");
        return;
    }
    const std::vector<Instance*> instances = found(client, id, target);
    if (instances.empty()) return;
    spdlog::info("control: {} {}{}", cmd, protocol::target_text(target), wait.wait ? " (waiting)" : "");
    if (!wait.wait) {
        json already = json::array();  // there before the command: a start of a running one, ...
        for (const Instance* instance : instances) {
            if (policies::begin_wait(goal, instance->state(), instance->pid() > 0).already) {
                already.push_back(instance->name());
            }
        }
        for (Instance* instance : instances) (instance->*change)();
        json result = {{"instances", names_of(instances)}};
        if (!already.empty()) result["already"] = std::move(already);  // only then: the reply of old otherwise
        client.reply(id, result);
        return;
    }
    std::vector<Awaited> awaited;
    for (const Instance* instance : instances) awaited.push_back({instance, goal});
    waiters_.record();
    for (Instance* instance : instances) (instance->*change)();
    waiters_.wait(client, id, {{"instances", names_of(instances)}}, awaited, wait.timeout);
}

void ControlService::signal_instances(Client& client, std::int64_t id, const protocol::Signal& command) {
    const std::vector<Instance*> instances = found(client, id, command.target);
    if (instances.empty()) return;
    spdlog::info("control: {} to {}", policies::signal_name(command.signal.number), protocol::target_text(command.target));
    if (command.waits()) {
        signal_and_report(client, id, instances, command.signal.number);
        return;
    }
    std::vector<Instance*> signalled;
    for (Instance* instance : instances) {
        if (instance->pid() > 0 && ::kill(instance->pid(), command.signal.number) == 0) signalled.push_back(instance);
    }
    client.reply(id, {{"instances", names_of(signalled)}});
}

// Only a running instance is signalled; each one's outcome is reported, and any that was not signalled
// makes the reply an error (not_running, or failed when kill() itself failed).
void ControlService::signal_and_report(Client& client, std::int64_t id, const std::vector<Instance*>& instances,
                                       int signal) {
    json signalled = json::array();
    json outcomes = json::array();
    std::string problems;
    bool refused = false;
    for (const Instance* instance : instances) {
        const std::string state(policies::to_string(instance->state()));
        const pid_t pid = instance->pid();
        json outcome = {{"instance", instance->name()}, {"state", state}, {"pid", pid > 0 ? json(pid) : json(nullptr)}};
        std::string problem;
        if (instance->state() != policies::State::running || pid <= 0) {
            refused = true;
            problem = "not running (" + state + "), not signalled";
            outcome["result"] = "not_running";
        } else if (::kill(pid, signal) != 0) {
            problem = "cannot signal pid " + std::to_string(pid) + ": " + std::strerror(errno);
            outcome["result"] = "failed";
        } else {
            outcome["result"] = "signalled";
            signalled.push_back(instance->name());
        }
        outcome["reason"] = problem;
        outcomes.push_back(std::move(outcome));
        if (!problem.empty()) problems += (problems.empty() ? "" : "; ") + instance->name() + ": " + problem;
    }
    json result = {{"instances", std::move(signalled)}, {"outcomes", std::move(outcomes)}};
    if (problems.empty()) {
        client.reply(id, result);
        return;
    }
    client.fail(id, refused ? ErrorCode::not_running : ErrorCode::failed, problems, result);
}

void ControlService::reload(Client& client, std::int64_t id, const WaitRequest& wait) {
    if (daemon_.shutting_down()) {
        client.fail(id, ErrorCode::shutting_down, "the daemon is stopping");
        return;
    }
    if (wait.wait) waiters_.record();
    const DaemonControl::ReloadOutcome outcome = daemon_.reload(wait.roll);
    if (!outcome.errors.empty() && daemon_.config_file().empty()) {  // `corral run`: no file to read
        waiters_.discard();
        client.fail(id, ErrorCode::failed, outcome.errors.front());
        return;
    }
    if (!outcome.errors.empty()) {
        waiters_.discard();
        client.fail(id, ErrorCode::invalid_config,
                    std::to_string(outcome.errors.size()) + " error(s) in " + daemon_.config_file().string() +
                        "; nothing was changed",
                    outcome.errors);
        return;
    }
    if (!wait.wait) {
        client.reply(id, {{"changes", changes_of(outcome)}});
        return;
    }
    waiters_.wait(client, id, {{"changes", changes_of(outcome)}}, outcome.awaited, wait.timeout);
}

}  // namespace corral::supervisor
