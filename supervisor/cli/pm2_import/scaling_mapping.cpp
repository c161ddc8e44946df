// instances, exec_mode, wait_ready, listen_timeout, max_memory_restart, log_date_format and time ->
// instances, listen, ready, ready_timeout, memory.restart_at, logs.timestamps.
#include <algorithm>
#include <chrono>

#include "base/text_format.hpp"
#include "supervisor/cli/pm2_import/app_mapper.hpp"
#include "supervisor/cli/pm2_import/pm2_values.hpp"

namespace corral::pm2 {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kMaxInstances = 1024;
constexpr std::uint64_t kMinRestartAt = 4ull << 20;  // the loader's smallest memory threshold

// pm2's instances: a number, "max" (every CPU), 0 (every CPU), -N (every CPU but N). 1 when unset.
std::int64_t map_instances(AppMapper& mapper) {
    const nlohmann::json* value = mapper.take("instances");
    if (value == nullptr) return 1;
    const auto cpus = static_cast<std::int64_t>(mapper.options().cpu_count);
    std::optional<std::int64_t> count = is_text(*value, "max") ? cpus : integer_value(*value);
    if (!count) {
        mapper.invalid("instances", *value, "a number or \"max\"");
        return 1;
    }
    const bool from_cpus = !value->is_number() || *count <= 0;
    if (*count <= 0) *count += cpus;
    const std::int64_t n = std::clamp<std::int64_t>(*count, 1, kMaxInstances);
    if (from_cpus) {
        mapper.approximate("instances", "instances", "pm2's " + shown(*value) + ": the CPU count of the machine "
                           "that ran `corral import` (" + std::to_string(cpus) + "); pm2 counts at every start");
    }
    if (n > 1) mapper.service().fields.insert_or_assign("instances", n);
    return n;
}

bool runs_node(AppMapper& mapper) {
    const auto* command = mapper.service().fields.get_as<toml::array>("command");
    if (command == nullptr || command->empty()) return false;
    const auto* first = command->get_as<std::string>(0);
    return first != nullptr && (first->get() == "node" || first->get().ends_with("/node"));
}

// cluster mode: pm2 shares one port among the workers through Node's cluster module. corral's way is a
// socket it holds for every instance (listen), which needs the port: the app's PORT, when it has one.
void map_cluster(AppMapper& mapper, std::int64_t instances, bool given_instances) {
    const nlohmann::json* mode = mapper.take("exec_mode");
    if (mode != nullptr && !(is_text(*mode, "cluster") || is_text(*mode, "cluster_mode") ||
                             is_text(*mode, "fork") || is_text(*mode, "fork_mode"))) {
        mapper.invalid("exec_mode", *mode, "\"cluster\" or \"fork\"");
        return;
    }
    const bool cluster = mode != nullptr ? mode->get<std::string>().starts_with("cluster")
                                         : given_instances && runs_node(mapper);  // pm2's default
    if (!cluster || instances < 2) return;
    auto& fields = mapper.service().fields;
    const auto* env = fields.get_as<toml::table>("env");
    const auto* port = env != nullptr ? env->get("PORT") : nullptr;
    std::optional<std::int64_t> number;
    if (port != nullptr && port->is_integer()) number = port->as_integer()->get();
    if (port != nullptr && port->is_string()) number = integer_value(nlohmann::json(port->as_string()->get()));
    if (number && *number > 0 && *number <= 65535) {
        fields.insert_or_assign("listen", toml::array{*number});
        mapper.approximate("exec_mode", "listen", "cluster mode: pm2's workers share port " + std::to_string(*number) +
                           " through Node's cluster module; corral holds that port for every instance (its agent "
                           "hands the socket to listen(" + std::to_string(*number) + ")); remove listen if the app "
                           "does not listen on PORT");
        return;
    }
    mapper.service().trailer.push_back("cluster mode: pm2's workers shared one port; give corral that port so that "
                                       "every instance can listen on it, e.g.");
    mapper.service().trailer.push_back("listen = [3000]");
    mapper.approximate("exec_mode", "", "cluster mode: " + std::to_string(instances) + " instances; if they listen "
                       "on one port, add listen = [PORT] (a comment after the service shows where)");
}

void map_ready(AppMapper& mapper) {
    auto& fields = mapper.service().fields;
    const nlohmann::json* wait_ready = mapper.take("wait_ready");
    if (wait_ready != nullptr && *wait_ready == true) fields.insert_or_assign("ready", "message");
    else if (fields.contains("listen")) fields.insert_or_assign("ready", "listening");
    const nlohmann::json* timeout = mapper.take("listen_timeout");
    if (!fields.contains("ready")) {
        if (timeout != nullptr) mapper.unmapped("listen_timeout", "no effect without wait_ready or cluster mode");
        return;
    }
    const std::string pm2_default = "pm2 counts the app ready anyway once listen_timeout (default 3s) passes; corral kills "
                                    "an instance that is not ready by ready_timeout";
    if (timeout == nullptr) {
        mapper.note("ready", pm2_default + " (default 30s)");
        return;
    }
    const auto ms = time_value(*timeout);
    if (!ms) return mapper.invalid("listen_timeout", *timeout, "milliseconds");
    fields.insert_or_assign("ready_timeout", duration_as_written(std::clamp<std::chrono::milliseconds>(*ms, 1ms, 1h)));
    mapper.approximate("listen_timeout", "ready_timeout", pm2_default);
}

void map_memory(AppMapper& mapper) {
    const nlohmann::json* limit = mapper.take("max_memory_restart");
    if (limit == nullptr) return;
    const auto size = size_value(*limit);
    if (!size) return mapper.invalid("max_memory_restart", *limit, "bytes, or a number and K, M or G");
    if (*size < kMinRestartAt) {
        return mapper.unmapped("max_memory_restart", "below corral's smallest memory.restart_at (4MiB): set a "
                                                     "larger memory.restart_at");
    }
    const std::string text = size_as_written(*size);
    toml::table memory;
    if (text.find(' ') == std::string::npos) memory.insert_or_assign("restart_at", text);
    else memory.insert_or_assign("restart_at", static_cast<std::int64_t>(*size));
    memory.is_inline(true);
    mapper.service().fields.insert_or_assign("memory", std::move(memory));
    mapper.approximate("max_memory_restart", "memory",
                       "pm2 polls the main process's RSS (every 30s); corral's restart_at counts the instance's whole "
                       "cgroup and restarts as it is crossed (needs cgroups; memory.max would be a hard kernel limit)");
}

void map_log_dates(AppMapper& mapper) {
    const nlohmann::json* format = mapper.take("log_date_format");
    const nlohmann::json* time = mapper.take("time");
    const bool wanted = (format != nullptr && format->is_string() && !format->get_ref<const std::string&>().empty()) ||
                        (time != nullptr && *time == true);
    if (!wanted) return;
    toml::table logs{{"timestamps", true}};
    logs.is_inline(true);
    mapper.service().fields.insert_or_assign("logs", std::move(logs));
    if (format != nullptr && format->is_string()) {
        mapper.approximate("log_date_format", "logs", "corral's timestamps are UTC, ISO 8601 "
                           "(2026-11-25T12:00:01.123Z), whatever the format " + shown(*format));
    }
}

}  // namespace

void map_scaling(AppMapper& mapper) {
    const bool given_instances = mapper.app().contains("instances");
    const std::int64_t instances = map_instances(mapper);
    map_cluster(mapper, instances, given_instances);
    map_ready(mapper);
    map_memory(mapper);
    map_log_dates(mapper);
}

}  // namespace corral::pm2
