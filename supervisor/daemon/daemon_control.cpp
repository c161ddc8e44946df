// Daemon: the commands of the control socket (ipc/control_protocol.hpp).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/file_text.hpp"
#include "base/instance_name.hpp"
#include "policies/signal_names.hpp"
#include "supervisor/daemon/daemon.hpp"
#include "supervisor/daemon/status_file.hpp"
#include "supervisor/postmortem/bundle_json.hpp"
#include "supervisor/postmortem/bundle_reader.hpp"
#include "supervisor/postmortem/bundle_writer.hpp"

namespace corral::supervisor {

using nlohmann::json;

namespace {

std::string target_text(const protocol::Target& target) {
    if (target.service.empty()) return "all";
    return target.index ? instance_name(target.service, *target.index) : target.service;
}

json names_of(const std::vector<Instance*>& instances) {
    json names = json::array();
    for (const Instance* instance : instances) names.push_back(instance->name());
    return names;
}

}  // namespace

std::vector<Instance*> Daemon::resolve(const protocol::Target& target) const {
    std::vector<Instance*> found;
    for (const auto& service : services_) {
        if (!target.service.empty() && service.spec->name != target.service) continue;
        for (const auto& instance : service.instances) {
            if (!target.index || instance->index() == *target.index) found.push_back(instance.get());
        }
    }
    return found;
}

json Daemon::status_json() const {
    const auto now = policies::Clock::now();
    json ipc = broker_.stats();
    json instances = json::array();
    for (const auto& service : services_) {
        for (const auto& instance : service.instances) {
            json status = instance_status(*instance, now);
            status["cooling"] = nullptr;
            if (const auto cooling = instance->cooling_state(now)) {
                status["cooling"] = {{"mode", cooling->mode == policies::CoolingMode::freeze ? "freeze" : "hold"},
                                     {"left_ms", cooling->left ? json(cooling->left->count()) : json(nullptr)},
                                     {"reason", cooling->reason}};
            }
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
          {"cgroups", cgroups_ ? json(cgroups_->describe()) : json(nullptr)}}},
        {"instances", std::move(instances)},
        {"routes", std::move(ipc["routes"])},
        {"channels", std::move(ipc["channels"])},
    };
}

void Daemon::handle_request(ControlConnection& client, const protocol::Request& request) {
    const std::string& cmd = request.cmd;
    if (cmd == "version") {
        client.reply(request.id, {{"version", CORRAL_VERSION}, {"protocol", protocol::kProtocolVersion}});
    } else if (cmd == "status") {
        client.reply(request.id, status_json());
    } else if (cmd == "start" || cmd == "stop" || cmd == "restart") {
        command_lifecycle(client, request);
    } else if (cmd == "signal") {
        command_signal(client, request);
    } else if (cmd == "cool" || cmd == "heat") {
        command_cooling(client, request);
    } else if (cmd == "reload") {
        command_reload(client, request);
    } else if (cmd == "logs") {
        command_logs(client, request);
    } else if (cmd == "postmortem") {
        command_postmortem(client, request);
    } else if (cmd == "events") {
        Subscription subscription;
        subscription.id = request.id;
        subscription.events = true;
        client.subscribe(subscription);
        client.reply(request.id, {{"stream", true}});
    } else if (cmd == "shutdown") {
        client.reply(request.id, json::object());
        if (!shutting_down_) begin_shutdown(SIGTERM);
    } else {
        client.fail(request.id, "unknown_command", "unknown command \"" + cmd + "\"");
    }
}

void Daemon::command_lifecycle(ControlConnection& client, const protocol::Request& request) {
    std::string error;
    const auto target = protocol::parse_target(request.args.value("target", ""), error);
    if (!target) {
        client.fail(request.id, "bad_args", error);
        return;
    }
    if (shutting_down_ && request.cmd != "stop") {
        client.fail(request.id, "shutting_down", "the daemon is stopping");
        return;
    }
    const std::vector<Instance*> instances = resolve(*target);
    if (instances.empty()) {
        client.fail(request.id, "not_found", "no service or instance \"" + target_text(*target) + "\"");
        return;
    }
    spdlog::info("control: {} {}", request.cmd, target_text(*target));
    for (Instance* instance : instances) {
        if (request.cmd == "start") instance->start();
        if (request.cmd == "stop") instance->stop();
        if (request.cmd == "restart") instance->restart();
    }
    client.reply(request.id, {{"instances", names_of(instances)}});
}

void Daemon::command_signal(ControlConnection& client, const protocol::Request& request) {
    std::string error;
    const auto target = protocol::parse_target(request.args.value("target", ""), error);
    const std::string name = request.args["signal"].is_number_integer()
                                 ? std::to_string(request.args["signal"].get<int>())
                                 : request.args.value("signal", "");
    const auto signal = policies::signal_from_name(name);
    if (!target || !signal) {
        client.fail(request.id, "bad_args", target ? "unknown signal \"" + name + "\"" : error);
        return;
    }
    std::vector<Instance*> signalled;
    for (Instance* instance : resolve(*target)) {
        if (instance->pid() > 0 && ::kill(instance->pid(), *signal) == 0) signalled.push_back(instance);
    }
    if (resolve(*target).empty()) {
        client.fail(request.id, "not_found", "no service or instance \"" + target_text(*target) + "\"");
        return;
    }
    spdlog::info("control: {} to {}", policies::signal_name(*signal), target_text(*target));
    client.reply(request.id, {{"instances", names_of(signalled)}});
}

void Daemon::command_cooling(ControlConnection& client, const protocol::Request& request) {
    std::string error;
    const auto target = protocol::parse_target(request.args.value("target", ""), error);
    if (!target) {
        client.fail(request.id, "bad_args", error);
        return;
    }
    const std::vector<Instance*> instances = resolve(*target);
    if (instances.empty()) {
        client.fail(request.id, "not_found", "no service or instance \"" + target_text(*target) + "\"");
        return;
    }
    std::optional<policies::Duration> for_how_long;
    if (request.args.contains("for_ms")) for_how_long = policies::Duration(request.args["for_ms"].get<std::int64_t>());
    spdlog::info("control: {} {}", request.cmd, target_text(*target));
    json changed = json::array();
    json not_running = json::array();
    for (Instance* instance : instances) {
        const auto transition = request.cmd == "cool" ? instance->cool(for_how_long) : instance->heat();
        if (!transition) {
            not_running.push_back(instance->name());
            continue;
        }
        changed.push_back({{"instance", instance->name()}, {"cooling", transition->cooling}, {"reason", transition->reason}});
    }
    client.reply(request.id, {{"instances", std::move(changed)}, {"not_running", std::move(not_running)}});
}

void Daemon::command_reload(ControlConnection& client, const protocol::Request& request) {
    if (shutting_down_) {
        client.fail(request.id, "shutting_down", "the daemon is stopping");
        return;
    }
    const ReloadOutcome outcome = reload();
    if (!outcome.errors.empty()) {
        client.fail(request.id, "invalid_config",
                    std::to_string(outcome.errors.size()) + " error(s) in " + config_.file.string() +
                        "; nothing was changed",
                    outcome.errors);
        return;
    }
    json changes = json::array();
    for (const auto& [service, action] : outcome.changes) changes.push_back({{"service", service}, {"action", action}});
    client.reply(request.id, {{"changes", std::move(changes)}});
}

void Daemon::command_logs(ControlConnection& client, const protocol::Request& request) {
    std::string error;
    const auto target = protocol::parse_target(request.args.value("target", ""), error);
    if (!target) {
        client.fail(request.id, "bad_args", error);
        return;
    }
    const std::vector<Instance*> instances = resolve(*target);
    if (instances.empty()) {
        client.fail(request.id, "not_found", "no service or instance \"" + target_text(*target) + "\"");
        return;
    }
    const int count = request.args.value("lines", 100);
    const std::string stream = request.args.value("stream", "both");
    json lines = json::array();
    const auto add = [&](const Instance& instance, const std::filesystem::path& file, const char* name) {
        const std::string text = count > 0 ? tail_lines(file, count) : std::string();
        for (std::size_t start = 0; start < text.size();) {
            const std::size_t end = text.find('\n', start);
            lines.push_back({{"instance", instance.name()}, {"stream", name}, {"line", text.substr(start, end - start)}});
            if (end == std::string::npos) break;
            start = end + 1;
        }
    };
    Subscription follow;
    follow.id = request.id;
    follow.out = stream != "err";
    follow.err = stream != "out";
    for (const Instance* instance : instances) {
        if (follow.out) add(*instance, instance->out_log(), "out");
        if (follow.err) add(*instance, instance->err_log(), "err");
        follow.instances.insert(instance->name());
    }
    if (request.args.value("follow", false)) client.subscribe(std::move(follow));
    client.reply(request.id, {{"lines", std::move(lines)}});
}

void Daemon::command_postmortem(ControlConnection& client, const protocol::Request& request) {
    const std::string target = request.args.value("target", "");
    std::vector<std::string> problems;
    const auto bundles = postmortem::list_bundles(config_.supervisor.state_dir, target, &problems);
    if (!request.args.contains("show")) {
        json list = json::array();
        for (const auto& info : bundles) list.push_back(json::parse(postmortem::info_json(info).dump()));
        client.reply(request.id, list);
        return;
    }
    const std::string query = request.args["show"];
    const postmortem::Resolution found = postmortem::resolve_bundle(bundles, query);
    if (!found.match) {
        client.fail(request.id, "not_found",
                    found.candidates.empty() ? "no post-mortem \"" + query + "\""
                                             : "\"" + query + "\" matches several post-mortems",
                    found.candidates);
        return;
    }
    std::string error;
    const auto bundle = postmortem::load_bundle(config_.supervisor.state_dir, found.match->id, &error);
    if (!bundle) {
        client.fail(request.id, "failed", "cannot read post-mortem \"" + found.match->id + "\": " + error);
        return;
    }
    // The CLI's own JSON view, keys in their documented order (ordered_json), sent as plain JSON.
    client.reply(request.id, json::parse(postmortem::bundle_json(*bundle).dump()));
}

}  // namespace corral::supervisor
