#include "supervisor/daemon/describe_spec.hpp"

#include "policies/signal_names.hpp"
#include "supervisor/config/cooling_fields.hpp"
#include "supervisor/config/route_fields.hpp"
#include "supervisor/config/secret_env.hpp"

namespace corral::supervisor {

namespace {

using nlohmann::json;

template <typename T>
json or_null(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json ms(policies::Duration duration) { return duration.count(); }

const char* ready_kind(config::ReadyKind kind) {
    switch (kind) {
        case config::ReadyKind::exec: return "exec";
        case config::ReadyKind::listening: return "listening";
        case config::ReadyKind::message: return "message";
        case config::ReadyKind::http: return "http";
        case config::ReadyKind::tcp: return "tcp";
    }
    return "?";
}

json threshold_json(const std::optional<policies::MemoryThreshold>& threshold) {
    if (!threshold) return nullptr;
    if (threshold->bytes) return *threshold->bytes;
    return std::to_string(threshold->percent_of_max.value_or(0)) + "%";
}

json limits_json(const cgroup::Limits& limits) {
    return {{"memory",
             {{"max", or_null(limits.memory.max)},
              {"high", or_null(limits.memory.high)},
              {"swap_max", or_null(limits.memory.swap_max)}}},
            {"pids", {{"max", or_null(limits.pids.max)}}},
            {"cpu", {{"weight", or_null(limits.cpu.weight)}, {"max_percent", or_null(limits.cpu.max_percent)}}}};
}

json cooling_json(const std::optional<policies::CoolingParams>& cooling) {
    if (!cooling) return nullptr;
    return {{"trigger", config::trigger_name(cooling->trigger)},
            {"threshold", cooling->threshold},
            {"for_ms", ms(cooling->sustain)},
            {"work_ms", ms(cooling->work)},
            {"cool_ms", ms(cooling->cool)},
            {"mode", cooling->mode == policies::CoolingMode::freeze ? "freeze" : "hold"}};
}

json listen_json(const config::ListenSpec& listen) {
    json addresses = json::array();
    for (const auto& address : listen.addresses) addresses.push_back(address.text);
    return {{"addresses", std::move(addresses)}, {"backlog", listen.backlog}, {"adopt", listen.adopt}};
}

json ready_json(const config::ReadySpec& ready) {
    return {{"kind", ready_kind(ready.kind)},
            {"probe", ready.probe ? json(ready.probe->text()) : json(nullptr)},
            {"timeout_ms", ms(ready.timeout)}};
}

}  // namespace

json spec_json(const config::ServiceSpec& spec) {
    const auto& watch = spec.memory_watch;
    return {
        {"name", spec.name},
        {"command", spec.command},
        {"shell", spec.shell},
        {"cwd", spec.cwd.string()},
        {"env", config::masked_env(spec.env)},
        {"instances", spec.instances},
        {"restart", std::string(policies::to_string(spec.restart))},
        {"backoff",
         {{"initial_ms", ms(spec.backoff.initial)},
          {"factor", spec.backoff.factor},
          {"max_ms", ms(spec.backoff.max)},
          {"reset_after_ms", ms(spec.backoff.reset_after)}}},
        {"start_limit", {{"burst", spec.start_limit.burst}, {"interval_ms", ms(spec.start_limit.interval)}}},
        {"stop", {{"signal", policies::signal_name(spec.stop.signal)}, {"timeout_ms", ms(spec.stop.timeout)}}},
        {"limits", limits_json(spec.limits)},
        {"memory", {{"restart_at", threshold_json(watch.restart_at)}, {"snapshot_at", threshold_json(watch.snapshot_at)}}},
        {"cooling", cooling_json(spec.cooling)},
        {"throttle", spec.throttle ? json({{"above", spec.throttle->above}, {"cpu_percent", spec.throttle->cpu_percent}})
                                   : json(nullptr)},
        {"ipc", spec.ipc == config::IpcMode::off ? "off" : spec.ipc == config::IpcMode::advanced ? "advanced" : "json"},
        {"node_agent", spec.node_agent},
        {"parent", spec.parent.empty() ? json(nullptr) : json(spec.parent)},
        {"listen", listen_json(spec.listen)},
        {"ready", ready_json(spec.ready)},
        {"rollout", {{"surge", spec.rollout.surge}, {"max_unavailable", spec.rollout.max_unavailable}}},
        {"logs", {{"max_size", spec.logs.max_size}, {"keep", spec.logs.keep}, {"timestamps", spec.logs.timestamps}}},
        {"liveness", spec.liveness ? json({{"event_loop_ms", ms(spec.liveness->event_loop)},
                                           {"startup_ms", ms(spec.liveness->startup)}})
                                   : json(nullptr)},
    };
}

json route_json(const config::RouteSpec& route) {
    return {{"from", route.from},
            {"to", route.to},
            {"delivery", route.delivery == config::Delivery::broadcast ? "broadcast" : "round-robin"},
            {"implicit", route.implicit},
            {"rate",
             {{"messages_per_second", or_null(route.rate.messages_per_second)},
              {"bytes_per_second", or_null(route.rate.bytes_per_second)}}},
            {"queue",
             {{"max_bytes", route.queue.max_bytes},
              {"max_messages", route.queue.max_messages},
              {"overflow", config::overflow_name(route.queue.overflow)},
              {"spill_max", route.queue.spill_max},
              {"durable", route.queue.durable}}}};
}

}  // namespace corral::supervisor
