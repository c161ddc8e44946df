#include "supervisor/cli/describe_view.hpp"

#include <cstdio>

#include "base/text_format.hpp"
#include "supervisor/cli/runtime_view.hpp"
#include "supervisor/cli/status_view.hpp"

namespace corral::supervisor::cli {

namespace {

using std::chrono::milliseconds;

const Json kNull = nullptr;

const Json& member(const Json& object, std::string_view key) {
    if (!object.is_object()) return kNull;
    const auto found = object.find(key);
    return found == object.end() ? kNull : *found;
}

std::string plain(const Json& value) {
    if (value.is_null()) return "-";
    return clean_line(value.is_string() ? value.get<std::string>() : value.dump());
}

// 500 for 500.0: rates come as JSON doubles.
std::string number_of(const Json& value) {
    if (!value.is_number_float()) return plain(value);
    char text[32];
    std::snprintf(text, sizeof text, "%g", value.get<double>());
    return text;
}

std::string size_of(const Json& value) {
    return value.is_number_unsigned() || value.is_number_integer() ? format_size(value.get<std::uint64_t>())
                                                                    : plain(value);
}

std::string duration_of(const Json& value) {
    return value.is_number_integer() ? format_duration(milliseconds(value.get<std::int64_t>())) : plain(value);
}

std::string line(std::string_view name, const std::string& value) {
    std::string text = std::string(name);
    text.resize(std::max<std::size_t>(text.size() + 2, 13), ' ');
    return text + value + "\n";
}

std::string joined(const Json& list, std::string_view separator = " ") {
    std::string text;
    if (!list.is_array()) return plain(list);
    for (const auto& item : list) text += (text.empty() ? "" : std::string(separator)) + plain(item);
    return text;
}

std::string restart_text(const Json& spec) {
    const Json& backoff = member(spec, "backoff");
    const Json& limit = member(spec, "start_limit");
    return plain(member(spec, "restart")) + ", backoff " + duration_of(member(backoff, "initial_ms")) + " x" +
           number_of(member(backoff, "factor")) + " up to " + duration_of(member(backoff, "max_ms")) + " (reset after " +
           duration_of(member(backoff, "reset_after_ms")) + "), start limit " + plain(member(limit, "burst")) + " in " +
           duration_of(member(limit, "interval_ms"));
}

std::string limits_text(const Json& limits) {
    std::string text;
    const auto add = [&](const std::string& name, const std::string& value) {
        text += (text.empty() ? "" : ", ") + name + " " + value;
    };
    for (const char* key : {"max", "high", "swap_max"}) {
        const Json& value = member(member(limits, "memory"), key);
        if (!value.is_null()) add(std::string("memory.") + key, size_of(value));
    }
    if (const Json& pids = member(member(limits, "pids"), "max"); !pids.is_null()) add("pids.max", plain(pids));
    if (const Json& weight = member(member(limits, "cpu"), "weight"); !weight.is_null()) add("cpu.weight", plain(weight));
    if (const Json& cpu = member(member(limits, "cpu"), "max_percent"); !cpu.is_null()) add("cpu.max", plain(cpu) + "%");
    return text.empty() ? "none" : text;
}

std::string env_text(const Json& env) {
    std::string text;
    if (!env.is_object()) return "-";
    for (const auto& [name, value] : env.items()) text += (text.empty() ? "" : "  ") + clean_line(name) + "=" + plain(value);
    return text.empty() ? "-" : text;
}

std::string cooling_text(const Json& cooling) {
    if (!cooling.is_object()) return "only corral cool";
    return plain(member(cooling, "trigger")) + " over " + number_of(member(cooling, "threshold")) + " for " +
           duration_of(member(cooling, "for_ms")) + ": cool " + duration_of(member(cooling, "cool_ms")) + " (" +
           plain(member(cooling, "mode")) + "), work at least " + duration_of(member(cooling, "work_ms"));
}

std::string listen_text(const Json& listen) {
    const Json& addresses = member(listen, "addresses");
    if (!addresses.is_array() || addresses.empty()) return "";
    return joined(addresses) + " (backlog " + plain(member(listen, "backlog")) + ")";
}

}  // namespace

std::string render_spec(const Json& spec) {
    std::string out;
    out += line("command", joined(member(spec, "command")) + (member(spec, "shell") == true ? " (shell)" : ""));
    out += line("cwd", plain(member(spec, "cwd")));
    out += line("env", env_text(member(spec, "env")));
    out += line("instances", plain(member(spec, "instances")));
    out += line("restart", restart_text(spec));
    const Json& stop = member(spec, "stop");
    out += line("stop", plain(member(stop, "signal")) + ", SIGKILL after " + duration_of(member(stop, "timeout_ms")));
    out += line("limits", limits_text(member(spec, "limits")));
    const Json& memory = member(spec, "memory");
    if (!member(memory, "restart_at").is_null() || !member(memory, "snapshot_at").is_null()) {
        out += line("memory", "restart at " + size_of(member(memory, "restart_at")) + ", heap snapshot at " +
                                  size_of(member(memory, "snapshot_at")));
    }
    out += line("cooling", cooling_text(member(spec, "cooling")));
    if (const std::string listen = listen_text(member(spec, "listen")); !listen.empty()) out += line("listen", listen);
    const Json& ready = member(spec, "ready");
    const Json& probe = member(ready, "probe");
    out += line("ready", plain(member(ready, "kind")) + (probe.is_null() ? "" : " " + plain(probe)) + ", within " +
                             duration_of(member(ready, "timeout_ms")));
    out += line("ipc", plain(member(spec, "ipc")) +
                           (member(spec, "parent").is_null() ? "" : ", parent " + plain(member(spec, "parent"))) +
                           (member(spec, "node_agent") == false ? ", no Node agent (node_agent = false)" : ""));
    const Json& logs = member(spec, "logs");
    out += line("logs", "rotated at " + size_of(member(logs, "max_size")) + ", " + plain(member(logs, "keep")) +
                            " kept" + (member(logs, "timestamps") == true ? ", timestamps" : ""));
    if (const Json& liveness = member(spec, "liveness"); !liveness.is_null()) {
        out += line("liveness", "hung after " + duration_of(member(liveness, "event_loop_ms")) +
                                    " without a turn of the event loop (" + duration_of(member(liveness, "startup_ms")) +
                                    " to start)");
    }
    return out;
}

namespace {

std::string memory_text(const Json& memory) {
    if (!memory.is_object()) return "-";
    return size_of(member(memory, "current")) + "/" + size_of(member(memory, "peak")) + "/" +
           (member(memory, "max").is_null() ? std::string("none") : size_of(member(memory, "max")));
}

std::string instances_table(const Json& instances, WallClock::time_point now) {
    std::vector<Row> rows;
    for (const auto& instance : instances) {
        const bool up = member(instance, "pid").is_number_integer();
        rows.push_back({instance_name(instance), plain(member(instance, "pid")), plain(member(instance, "state")),
                        up ? duration_of(member(instance, "uptime_ms")) : "-", plain(member(instance, "restarts")),
                        cpu_cell(instance), memory_text(member(instance, "memory")),
                        last_exit_cell(member(instance, "last_exit"), now)});
    }
    return render_table({"INSTANCE", "PID", "STATE", "UPTIME", "RESTARTS", "CPU", "MEMORY (NOW/PEAK/LIMIT)", "LAST EXIT"},
                        rows, [](int, std::size_t, const std::string& cell) { return cell; });
}

// Where each instance lives: its cgroup, its log files, its exits so far by reason, and what its Node
// agent reported last.
std::string instance_details(const Json& instances) {
    std::string out;
    for (const auto& instance : instances) {
        const std::string name = instance_name(instance);
        const std::string pad(name.size(), ' ');
        const Json& logs = member(instance, "logs");
        out += name + "  cgroup " + plain(member(instance, "cgroup")) + "\n";
        out += pad + "  logs " + plain(member(logs, "out")) + " " + plain(member(logs, "err")) + "\n";
        std::string exits;
        if (const Json& counts = member(instance, "exits"); counts.is_object()) {
            for (const auto& [reason, count] : counts.items()) {
                exits += (exits.empty() ? "" : ", ") + clean_line(reason) + " " + plain(count);
            }
        }
        if (!exits.empty()) out += pad + "  exits " + exits + "\n";
        out += runtime_lines(member(instance, "runtime"), pad);
    }
    return out;
}

std::string routes_text(const Json& routes) {
    if (!routes.is_array() || routes.empty()) return "";
    std::string out = "routes\n";
    for (const auto& route : routes) {
        const Json& rate = member(route, "rate");
        const Json& queue = member(route, "queue");
        std::string limits;
        if (const Json& messages = member(rate, "messages_per_second"); !messages.is_null()) {
            limits += ", " + number_of(messages) + " msg/s";
        }
        if (const Json& bytes = member(rate, "bytes_per_second"); bytes.is_number()) {
            limits += ", " + format_byte_rate(bytes.get<double>(), true);
        }
        out += "  " + plain(member(route, "from")) + " -> " + plain(member(route, "to")) + "  " +
               plain(member(route, "delivery")) + limits + ", queue " + plain(member(queue, "max_messages")) +
               " messages / " + size_of(member(queue, "max_bytes")) + ", overflow " + plain(member(queue, "overflow")) +
               (member(queue, "durable") == true ? ", durable" : "") +
               (member(route, "implicit") == true ? " (parent)" : "") + "\n";
    }
    return out;
}

std::string postmortems_text(const Json& postmortems, WallClock::time_point now) {
    if (!postmortems.is_array() || postmortems.empty()) return "post-mortems: none\n";
    std::string out = "post-mortems (corral postmortem --show ID)\n";
    for (const auto& bundle : postmortems) {
        std::string when;
        if (const auto at = time_of(member(bundle, "ended_at"))) {
            when = ", " + format_ago(std::chrono::duration_cast<milliseconds>(now - *at));
        }
        out += "  " + plain(member(bundle, "id")) + "  " + plain(member(bundle, "reason")) + when + "\n";
    }
    return out;
}

}  // namespace

std::string render_describe(const Json& result, WallClock::time_point now, const Style& style) {
    const Json& spec = member(result, "service");
    const Json& file = member(result, "file");
    std::string out = style.bold(plain(member(spec, "name")));
    if (const Json& path = member(file, "path"); !path.is_null()) {
        out += ", from " + plain(path) + (member(file, "line").is_null() ? "" : ":" + plain(member(file, "line")));
    } else {
        out += ", from corral run";
    }
    out += "\n\n" + render_spec(spec) + "\n";
    const Json& instances = member(result, "instances");
    if (instances.is_array() && !instances.empty()) {
        out += instances_table(instances, now) + "\n" + instance_details(instances) + "\n";
    }
    if (const std::string routes = routes_text(member(result, "routes")); !routes.empty()) out += routes + "\n";
    return out + postmortems_text(member(result, "postmortems"), now);
}

}  // namespace corral::supervisor::cli
