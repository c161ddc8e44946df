#include "supervisor/daemon/control_service.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "base/text_format.hpp"
#include "supervisor/daemon/log_lines.hpp"
#include "supervisor/daemon/status_filter.hpp"
#include "supervisor/postmortem/bundle_json.hpp"

namespace corral::supervisor {

using nlohmann::json;
using protocol::ErrorCode;

namespace {

// Calls `each` with every line of `text` (a last line without its newline too) until it returns false.
template <typename Each>
void for_each_line(std::string_view text, Each&& each) {
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        if (!each(text.substr(start, end - start)) || end == std::string_view::npos) return;
        start = end + 1;
    }
}

json log_line(const Instance& instance, std::string_view stream, std::string_view line, const std::string& time) {
    return {{"time", time}, {"instance", instance.name()}, {"stream", stream}, {"line", line}};
}

}  // namespace

ControlService::ControlService(uv_loop_t* loop, DaemonControl& daemon)
    : daemon_(daemon), waiters_(loop), server_(loop, *this) {}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Version&) {
    client.reply(id, {{"version", CORRAL_VERSION}, {"protocol", protocol::kProtocolVersion}});
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Status& command) {
    if (command.target && found(client, id, *command.target).empty()) return;
    json status = daemon_.status_json();
    if (command.target) keep_only(status, *command.target);
    client.reply(id, status);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Start& command) {
    change_state(client, id, command, &Instance::start, policies::WaitGoal::running);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Stop& command) {
    change_state(client, id, command, &Instance::stop, policies::WaitGoal::down);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Restart& command) {
    change_state(client, id, command, &Instance::restart, policies::WaitGoal::new_start);
}

std::vector<Instance*> ControlService::found(Client& client, std::int64_t id, const protocol::Target& target) const {
    std::vector<Instance*> instances = daemon_.resolve(target);
    if (instances.empty()) {
        client.fail(id, ErrorCode::not_found, "no service or instance \"" + protocol::target_text(target) + "\"");
    }
    return instances;
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Signal& command) {
    signal_instances(client, id, command);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Cool& command) {
    change_cooling(client, id, command.name, command.target,
                   [&](Instance& instance) { return instance.cool(command.duration); }, true);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Heat& command) {
    change_cooling(client, id, command.name, command.target, [](Instance& instance) { return instance.heat(); }, false);
}

// cool and heat: `change` returns the transition, or nullopt when the instance has no process to cool.
// "already": the instance was cooling (cool) or working (heat) before; the command still applies (a cool
// --for sets the new period, a heat the work time before an automatic cool).
template <typename Change>
void ControlService::change_cooling(Client& client, std::int64_t id, std::string_view cmd,
                                    const protocol::Target& target, Change&& change, bool cool) {
    const std::vector<Instance*> instances = found(client, id, target);
    if (instances.empty()) return;
    spdlog::info("control: {} {}", cmd, protocol::target_text(target));
    json changed = json::array();
    json not_running = json::array();
    for (Instance* instance : instances) {
        const bool already = instance->cooling_state(policies::Clock::now()).has_value() == cool;
        const auto transition = change(*instance);
        if (!transition) {
            not_running.push_back(instance->name());
            continue;
        }
        changed.push_back({{"instance", instance->name()},
                           {"cooling", transition->cooling},
                           {"reason", transition->reason},
                           {"already", already}});
    }
    client.reply(id, {{"instances", std::move(changed)}, {"not_running", std::move(not_running)}});
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Reload& command) {
    reload(client, id, {command.waits(), command.timeout, command.target});
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Logs& command) {
    const std::vector<Instance*> instances = found(client, id, command.target);
    if (instances.empty()) return;
    Subscription follow;
    follow.id = id;
    follow.out = command.streams() != protocol::LogStream::err;
    follow.err = command.streams() != protocol::LogStream::out;
    for (const Instance* instance : instances) follow.instances.insert(instance->name());
    if (command.follows()) client.subscribe(std::move(follow));
    client.reply(id, {{"lines", log_lines_json(instances, command)}});
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Flush& command) {
    const std::vector<Instance*> instances = found(client, id, command.target);
    if (instances.empty()) return;
    spdlog::info("control: flush {}", protocol::target_text(command.target));
    json names = json::array();
    for (Instance* instance : instances) {
        instance->flush_logs();
        names.push_back(instance->name());
    }
    client.reply(id, {{"instances", std::move(names)}});
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Postmortem& command) {
    // A target was checked as one, and filters as the text it was given as ("all" names no service).
    const std::string filter = command.target ? protocol::target_text(*command.target) : std::string();
    std::vector<std::string> problems;
    const auto bundles = postmortem::list_bundles(daemon_.state_dir(), filter, &problems);
    if (command.show) {
        show_postmortem(client, id, bundles, *command.show);
        return;
    }
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& info : bundles) list.push_back(postmortem::info_json(info));
    client.reply_ordered(id, list);
}

// One bundle, as `corral postmortem --show ID --json` prints it: keys in their documented order.
void ControlService::show_postmortem(Client& client, std::int64_t id,
                                     const std::vector<postmortem::BundleInfo>& bundles, const std::string& query) {
    const postmortem::Resolution found = postmortem::resolve_bundle(bundles, query);
    if (!found.match) {
        client.fail(id, ErrorCode::not_found,
                    found.candidates.empty() ? "no post-mortem \"" + query + "\""
                                             : "\"" + query + "\" matches several post-mortems",
                    found.candidates);
        return;
    }
    std::string error;
    const auto bundle = postmortem::load_bundle(daemon_.state_dir(), found.match->id, &error);
    if (!bundle) {
        client.fail(id, ErrorCode::failed, "cannot read post-mortem \"" + found.match->id + "\": " + error);
        return;
    }
    client.reply_ordered(id, postmortem::bundle_json(*bundle));
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Events&) {
    Subscription subscription;
    subscription.id = id;
    subscription.events = true;
    client.subscribe(subscription);
    client.reply(id, {{"stream", true}});
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Describe& command) {
    describe(client, id, command.target);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Shutdown&) {
    client.reply(id, json::object());
    daemon_.shut_down();
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Add& command) {
    add_service(client, id, command);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Delete& command) {
    delete_service(client, id, command);
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Services&) {
    client.reply(id, daemon_.services_json());
}

template <>
void ControlService::answer(Client& client, std::int64_t id, const protocol::Metrics&) {
    client.reply(id, {{"text", daemon_.metrics_text()}});
}

// After every answer<>: a specialization must be seen before it is used.
void ControlService::handle_request(Client& client, const protocol::Request& request) {
    std::visit([&](const auto& command) { answer(client, request.id, command); }, request.command);
}

void ControlService::publish_transition(const Instance& instance, policies::State from, policies::State to,
                                        const std::string& reason) {
    const json event = {{"time", iso_utc(std::chrono::system_clock::now())},
                        {"instance", instance.name()},
                        {"from", std::string(policies::to_string(from))},
                        {"to", std::string(policies::to_string(to))},
                        {"reason", reason}};
    publish_event(event);
    waiters_.transition(instance, from, to, reason, event);
}

void ControlService::publish_cooling(const Instance& instance, bool cooling, const std::string& reason) {
    publish_event({{"time", iso_utc(std::chrono::system_clock::now())},
                   {"instance", instance.name()},
                   {"from", cooling ? "running" : "cooling"},
                   {"to", cooling ? "cooling" : "running"},
                   {"cooling", cooling},
                   {"reason", reason}});
}

void ControlService::publish_event(const json& event) {
    server_.for_each_client([&](Client& client) {
        if (client.subscription() && client.subscription()->events) client.event(event);
    });
}

void ControlService::publish_output(const Instance& instance, std::string_view stream, std::string_view lines) {
    std::vector<std::string> events;  // each line serialized once, for however many followers
    server_.for_each_client([&](Client& client) {
        const auto& follow = client.subscription();
        if (!follow || !follow->instances.contains(instance.name()) || !(stream == "out" ? follow->out : follow->err)) {
            return;
        }
        if (events.empty()) {
            const std::string time = iso_utc(std::chrono::system_clock::now());
            for_each_line(lines, [&](std::string_view line) {
                events.push_back(protocol::event_text(log_line(instance, stream, line, time)));
                return true;
            });
        }
        for (const std::string& event : events) {
            client.event_text(event);
            if (!client.subscription()) break;
        }
    });
}

}  // namespace corral::supervisor
