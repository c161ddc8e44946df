#include "supervisor/cli/status_view.hpp"

#include <algorithm>
#include <cstdio>

#include "base/text_format.hpp"
#include "supervisor/cli/routes_view.hpp"

namespace corral::supervisor::cli {

namespace {

std::optional<std::uint64_t> bytes_of(const Json& object, std::string_view key) {
    if (!object.is_object()) return std::nullopt;
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number()) return std::nullopt;
    if (found->is_number_unsigned()) return found->get<std::uint64_t>();
    if (found->is_number_integer()) {
        return static_cast<std::uint64_t>(std::max<std::int64_t>(0, found->get<std::int64_t>()));
    }
    return static_cast<std::uint64_t>(std::max(0.0, found->get<double>()));
}

std::optional<std::int64_t> integer_of(const Json& object, std::string_view key) {
    if (!object.is_object()) return std::nullopt;
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number_integer()) return std::nullopt;
    return found->get<std::int64_t>();
}

std::string duration_of(const Json& object, std::string_view key) {
    const auto ms = integer_of(object, key);
    return ms ? format_duration(std::chrono::milliseconds(*ms)) : "-";
}

// "120.5MiB/512.0MiB" or "120.5MiB"; "" without data.
std::string sizes_text(const Json& memory) {
    const auto current = bytes_of(memory, "current");
    if (!current) return "";
    const auto max = bytes_of(memory, "max");
    return format_size(*current) + (max ? "/" + format_size(*max) : "");
}

std::optional<double> memory_fraction(const Json& memory) {
    const auto current = bytes_of(memory, "current");
    const auto max = bytes_of(memory, "max");
    if (!current || !max || *max == 0) return std::nullopt;
    return static_cast<double>(*current) / static_cast<double>(*max);
}

postmortem::BundleInfo exit_info(const Json& last_exit) {
    postmortem::BundleInfo info;
    info.reason = text_of(last_exit, "reason", "?");
    info.exit_code = integer_of(last_exit, "code");
    const std::string signal = text_of(last_exit, "signal");
    if (!signal.empty()) info.exit_signal = signal;
    return info;
}

// The reason (the cell's first word) in the color `corral postmortem` gives it.
std::string paint_last_exit(const Style& style, const Json& last_exit, const std::string& cell) {
    if (!last_exit.is_object()) return cell;
    const auto end = cell.find_first_of(" ,");
    const std::string rest = end == std::string::npos ? "" : cell.substr(end);
    const auto marker = rest.rfind(" [");
    if (marker == std::string::npos) return style.reason(exit_info(last_exit)) + rest;
    return style.reason(exit_info(last_exit)) + rest.substr(0, marker + 1) + style.dim(rest.substr(marker + 1));
}

// The bar in cyan, yellow from 80% of the limit, red from 95%.
std::string paint_memory(const Style& style, const Json& memory, const std::string& cell) {
    const auto start = cell.find("▕");
    const auto fraction = memory_fraction(memory);
    if (start == std::string::npos || !fraction) return cell;
    const std::string bar_text = cell.substr(start);
    const std::string painted = *fraction >= 0.95   ? style.red(bar_text)
                                : *fraction >= 0.80 ? style.yellow(bar_text)
                                                    : style.cyan(bar_text);
    return cell.substr(0, start) + painted;
}

// "parent#0: CPU throttled 3 times, 4.2s in all (its messages waited unread on corral's end); frozen twice
// (its channel was a quarter full)", one line per instance that ever was, after a blank line; "" when none was.
std::string render_throttles(const Json& instances) {
    std::string lines;
    for (const auto& instance : instances) {
        const auto count = integer_of(instance, "throttles");
        const auto freezes = integer_of(instance, "channel_freezes").value_or(0);
        if ((!count || *count <= 0) && freezes <= 0) continue;
        lines += instance_name(instance) + ":";
        if (count && *count > 0) {
            lines += " CPU throttled " + std::to_string(*count) + (*count == 1 ? " time, " : " times, ") +
                     duration_of(instance, "throttled_ms") + " in all (its messages waited unread on corral's end)";
        }
        if (freezes > 0) {
            lines += std::string(count && *count > 0 ? ";" : "") + " frozen " + std::to_string(freezes) +
                     (freezes == 1 ? " time, " : " times, ") + duration_of(instance, "channel_frozen_ms") +
                     " in all (its channel was a quarter full)";
        }
        lines += "\n";
    }
    return lines.empty() ? lines : "\n" + lines;
}

}  // namespace

std::string render_daemon_line(const Json& daemon) {
    std::string line = "corral";
    const std::string version = text_of(daemon, "version");
    if (!version.empty()) line += " " + version;
    if (const auto pid = integer_of(daemon, "pid")) line += ", pid " + std::to_string(*pid);
    if (integer_of(daemon, "uptime_ms")) line += ", up " + duration_of(daemon, "uptime_ms");
    const std::string config = text_of(daemon, "config");
    const std::string state_dir = text_of(daemon, "state_dir");
    if (!config.empty()) {
        line += ", config " + config;
    } else if (!state_dir.empty()) {
        line += ", state " + state_dir;
    }
    // The driver's description is long and in --json; say only when there are none (no memory column).
    const auto cgroups = daemon.is_object() ? daemon.find("cgroups") : daemon.end();
    if (daemon.is_object() && cgroups != daemon.end() && (cgroups->is_null() || *cgroups == false)) {
        line += ", no cgroups";
    }
    return line;
}

std::string memory_cell(const Json& memory, std::size_t size_width) {
    const std::string sizes = sizes_text(memory);
    if (sizes.empty()) return "-";
    const auto fraction = memory_fraction(memory);
    if (!fraction) return sizes;
    return sizes + std::string(size_width > sizes.size() ? size_width - sizes.size() : 0, ' ') + " " + bar(*fraction);
}

std::string cpu_cell(const Json& instance) {
    const auto found = instance.is_object() ? instance.find("cpu_percent") : instance.end();
    if (!instance.is_object() || found == instance.end() || !found->is_number()) return "-";
    const double percent = std::max(0.0, found->get<double>());
    char text[32];
    if (percent < 9.95) {
        std::snprintf(text, sizeof text, "%.1f%%", percent);
    } else {
        std::snprintf(text, sizeof text, "%.0f%%", percent);
    }
    return text;
}

std::string last_exit_cell(const Json& last_exit, WallClock::time_point now, const Style& style) {
    if (!last_exit.is_object()) return "-";
    const postmortem::BundleInfo info = exit_info(last_exit);
    std::string text = style.reason(info);
    if (info.reason == "exit-code" && info.exit_code) text += " " + std::to_string(*info.exit_code);
    if (info.reason == "signal" && info.exit_signal) text += " " + *info.exit_signal;
    const auto found = last_exit.find("at");
    if (found != last_exit.end()) {
        if (const auto at = time_of(*found)) {
            text += ", " + format_ago(std::chrono::duration_cast<std::chrono::milliseconds>(now - *at));
        }
    }
    return text;
}

namespace {

// The width of the widest "current/max" of the instances that have a bar, so that the bars line up.
std::size_t size_column_width(const Json& instances) {
    std::size_t width = 0;
    for (const auto& instance : instances) {
        if (instance.is_object() && instance.contains("memory") && memory_fraction(instance["memory"])) {
            width = std::max(width, sizes_text(instance["memory"]).size());
        }
    }
    return width;
}

// One instance's row. The post-mortem of its last exit, when there is one, goes to `footnotes` and the
// cell says "[N]"; a death of a crash loop that was only counted points to its window's bundle, "[N] +K"
// (K deaths counted since that bundle).
Row status_row(const Json& instance, const StatusView& view, std::size_t size_width,
               std::vector<std::string>& footnotes) {
    const Json empty = Json::object();
    const Json& memory = instance.is_object() && instance.contains("memory") ? instance["memory"] : empty;
    const Json& last_exit = instance.is_object() && instance.contains("last_exit") ? instance["last_exit"] : empty;
    const auto pid = integer_of(instance, "pid");
    const auto restarts = integer_of(instance, "restarts");
    std::string exit = last_exit_cell(last_exit, view.now);
    const std::string postmortem = text_of(last_exit, "postmortem");
    const Json& window = last_exit.is_object() && last_exit.contains("postmortem_window") ? last_exit["postmortem_window"] : empty;
    const std::string window_bundle = text_of(window, "postmortem");
    if (!postmortem.empty() || !window_bundle.empty()) {
        footnotes.push_back(postmortem.empty() ? window_bundle : postmortem);
        exit += " [" + std::to_string(footnotes.size()) + "]";
        if (postmortem.empty()) exit += " +" + std::to_string(integer_of(window, "deaths_counted").value_or(0));
    }
    std::string state = text_of(instance, "state", "?");
    if (instance.is_object() && instance.contains("cooling") && instance["cooling"].is_object()) {
        const Json& cooling = instance["cooling"];
        state = "cooling " +
                (integer_of(cooling, "left_ms") ? duration_of(cooling, "left_ms") : std::string("(manual)"));
    } else if (instance.is_object() && instance.contains("throttle") && instance["throttle"].is_object()) {
        const Json& throttle = instance["throttle"];
        const auto cap = integer_of(throttle, "cpu_percent");
        const bool frozen = throttle.contains("frozen") && throttle["frozen"] == true;
        state = cap ? "throttled " + std::to_string(*cap) + "%" + (frozen ? ", frozen" : "") : "frozen (channel)";
    } else if (const std::string waiting = text_of(instance, "waiting_until_ready"); !waiting.empty()) {
        state = "starting (not ready: " + waiting + ")";
    }
    if (instance.is_object() && instance.value("replacement", false)) state += ", replacement";
    return {instance_name(instance), pid ? std::to_string(*pid) : "-", state,
            pid ? duration_of(instance, "uptime_ms") : "-", restarts ? std::to_string(*restarts) : "-",
            cpu_cell(instance), memory_cell(memory, size_width), exit};
}

// Whether the daemon reports CPU use (a daemon of before it did not): the CPU column shows then.
bool has_cpu(const Json& instances) {
    for (const auto& instance : instances) {
        if (instance.is_object() && instance.contains("cpu_percent")) return true;
    }
    return false;
}

// A cell of the table in its colors; row -1 is the header.
std::string paint_cell(const Style& style, const Json& instances, int row, std::size_t column,
                       const std::string& cell) {
    if (row < 0) return style.bold(cell);
    const Json& instance = instances[static_cast<std::size_t>(row)];
    if (column == 2 && (cell.starts_with("throttled") || cell.starts_with("frozen"))) return style.yellow(cell);
    if (column == 2) return cell.starts_with("cooling") ? style.cyan(cell) : paint_state(style, cell);
    if (column == 6 && instance.contains("memory")) return paint_memory(style, instance["memory"], cell);
    if (column == 7 && instance.contains("last_exit")) return paint_last_exit(style, instance["last_exit"], cell);
    return cell;
}

}  // namespace

std::string render_status(const Json& status, const StatusView& view) {
    const Json empty = Json::object();
    const auto daemon = status.is_object() ? status.find("daemon") : status.end();
    std::string out = render_daemon_line(status.is_object() && daemon != status.end() ? *daemon : empty) + "\n\n";

    const auto found = status.is_object() ? status.find("instances") : status.end();
    if (!status.is_object() || found == status.end() || !found->is_array() || found->empty()) {
        return out + "no services\n";
    }
    const Json& instances = *found;
    const std::size_t size_width = size_column_width(instances);
    std::vector<Row> rows;
    std::vector<std::string> footnotes;
    for (const auto& instance : instances) rows.push_back(status_row(instance, view, size_width, footnotes));

    const Style& style = view.style;
    const bool cpu = has_cpu(instances);
    if (!cpu) {
        for (Row& row : rows) row.erase(row.begin() + 5);
    }
    out += render_table(cpu ? Row{"INSTANCE", "PID", "STATE", "UPTIME", "RESTARTS", "CPU", "MEMORY", "LAST EXIT"}
                            : Row{"INSTANCE", "PID", "STATE", "UPTIME", "RESTARTS", "MEMORY", "LAST EXIT"},
                        rows, [&](int row, std::size_t column, const std::string& cell) {
                            // Without the CPU column, the columns after it are one to the left.
                            return paint_cell(style, instances, row, !cpu && column >= 5 ? column + 1 : column, cell);
                        });
    if (!footnotes.empty()) out += "\n";
    for (std::size_t i = 0; i < footnotes.size(); ++i) {
        out += style.dim("[" + std::to_string(i + 1) + "]") + " corral postmortem --show " + footnotes[i] + "\n";
    }
    out += render_throttles(instances);
    const auto routes = status.find("routes");
    const auto channels = status.find("channels");
    const std::string ipc = render_routes(routes != status.end() ? *routes : Json(),
                                          channels != status.end() ? *channels : Json(), style);
    if (!ipc.empty()) out += "\n" + ipc;
    return out;
}

}  // namespace corral::supervisor::cli
