// `corral postmortem --show ID` as text: one bundle, read top to bottom like a report.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "base/instance_name.hpp"
#include "base/text_format.hpp"
#include "supervisor/cli/postmortem_command.hpp"
#include "supervisor/cli/sparkline.hpp"
#include "supervisor/postmortem/bundle_format.hpp"

namespace corral::supervisor::cli {

using namespace postmortem;  // the views of the bundles
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kWidth = 100;          // the terminal we lay out for
constexpr std::size_t kKeyColumn = 13;       // "  evidence   " then the value
constexpr std::size_t kPlotWidth = 72;       // chart columns
constexpr std::size_t kPlotHeight = 8;       // chart rows, 8 levels each
constexpr std::int64_t kWindowMs = 5 * 60'000;  // the chart shows the last 5 minutes before death
constexpr std::size_t kStderrLines = 10;
constexpr std::size_t kStackFrames = 8;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string duration(std::int64_t ms) { return format_duration(std::chrono::milliseconds(ms)); }

std::vector<std::string> read_lines(const std::filesystem::path& file, bool* exists) {
    std::ifstream in(file, std::ios::binary);
    *exists = static_cast<bool>(in);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
    return lines;
}

const Json* member(const Json& object, const char* key) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string field(const Style& style, std::string_view key, const std::string& value) {
    std::string line = "  " + style.dim(key) + std::string(kKeyColumn - 2 - key.size(), ' ');
    return line + value + "\n";
}

// "memory.max 256.0MiB, pids.max 512, cpu.max 150%", or "none".
std::string limits_text(const Json& summary) {
    const Json* limits = member(summary, "limits");
    std::vector<std::string> parts;
    const auto add = [&](const char* key, const char* name, bool size, const char* suffix) {
        const Json* value = limits ? member(*limits, key) : nullptr;
        if (value == nullptr || !value->is_number()) return;
        std::string text;
        if (size && value->is_number_unsigned()) {
            text = format_size(value->get<std::uint64_t>());
        } else {
            text = value->dump();
        }
        parts.push_back(std::string(name) + " " + text + suffix);
    };
    add("memory_max", "memory.max", true, "");
    add("memory_high", "memory.high", true, "");
    add("swap_max", "memory.swap_max", true, "");
    add("pids_max", "pids.max", false, "");
    add("cpu_weight", "cpu.weight", false, "");
    add("cpu_max_percent", "cpu.max", false, "%");
    if (parts.empty()) return "none";
    std::string text;
    for (const auto& part : parts) text += (text.empty() ? "" : ", ") + part;
    return text;
}

std::string memory_text(const Bundle& bundle) {
    const BundleInfo& info = bundle.info;
    const Json* memory = member(bundle.summary, "memory");
    const Json* last = memory ? member(*memory, "last") : nullptr;
    if (!info.memory_peak && !(last && last->is_number_unsigned())) return "unknown";
    std::string text = "peak " + format_size(info.memory_peak);
    if (info.memory_peak && info.memory_max && *info.memory_max > 0) {
        const double share = static_cast<double>(*info.memory_peak) * 100.0 / static_cast<double>(*info.memory_max);
        char percent[32];
        std::snprintf(percent, sizeof percent, " (%.0f%% of memory.max)", share);
        text += percent;
    }
    if (last && last->is_number_unsigned()) text += ", last " + format_size(last->get<std::uint64_t>());
    return text;
}

std::string facts(const Bundle& bundle, const Style& style) {
    const BundleInfo& info = bundle.info;
    const Json& summary = bundle.summary;
    std::string out;
    std::string instance = corral::instance_name(info.service, info.index);
    if (const Json* pid = member(summary, "pid"); pid && pid->is_number_integer()) {
        instance += ", pid " + pid->dump();
    }
    out += field(style, "instance", instance);
    out += field(style, "reason", style.reason(info) + ": " + reason_words(info));
    if (const Json* evidence = member(summary, "evidence"); evidence && evidence->is_array()) {
        bool first = true;
        for (const auto& line : *evidence) {
            if (!line.is_string()) continue;
            const std::string text = wrap(clean_line(line.get<std::string>()), kWidth, kKeyColumn);
            out += first ? field(style, "evidence", text) : std::string(kKeyColumn, ' ') + text + "\n";
            first = false;
        }
    }
    std::string exit = "unknown";
    if (info.exit_signal) exit = "signal " + *info.exit_signal;
    if (info.exit_code) exit = "code " + std::to_string(*info.exit_code);
    out += field(style, "exit", exit);
    if (const auto started = member(summary, "started_at"); started && started->is_string()) {
        out += field(style, "started", format_timestamp(started->get<std::string>()));
    }
    std::string ended = info.ended_at.empty() ? "unknown" : format_timestamp(info.ended_at);
    if (info.uptime_ms) ended += ", up " + duration(*info.uptime_ms);
    out += field(style, "ended", ended);
    if (const Json* restarts = member(summary, "restarts"); restarts && restarts->is_number_integer()) {
        out += field(style, "restarts", restarts->dump() + " before this death");
    }
    out += field(style, "limits", limits_text(summary));
    out += field(style, "memory", memory_text(bundle));
    return out;
}

// The chart of memory.current over the last minutes, and a row of memory pressure under it.
std::string memory_picture(const Bundle& bundle, const Style& style) {
    std::string out = style.bold("Memory before death") + style.dim("  memory.current in MiB, by time before the last sample") + "\n";
    const auto& samples = bundle.samples;
    if (samples.empty()) return out + "  no samples (" + std::string(kMemoryCsv) + " is missing or empty)\n";

    const std::int64_t last = samples.back().time_ms;
    std::vector<double> current;
    std::vector<double> pressure;
    std::int64_t first = last;
    bool any_pressure = false;
    double max_pressure = 0;
    for (const auto& sample : samples) {
        if (sample.time_ms < last - kWindowMs) continue;
        first = std::min(first, sample.time_ms);
        current.push_back(sample.current.value_or(kNaN));
        pressure.push_back(sample.psi_full_avg10.value_or(kNaN));
        if (sample.psi_full_avg10) {
            any_pressure = true;
            max_pressure = std::max(max_pressure, *sample.psi_full_avg10);
        }
    }
    const ChartAxis axis{last > first ? "-" + duration(last - first) : "", "0s"};
    std::vector<std::string> lines =
        chart(current, kPlotWidth, kPlotHeight, bundle.info.memory_max ? std::optional<double>(*bundle.info.memory_max) : std::nullopt, axis);
    if (lines.size() == 1) return out + "  " + lines.front() + " (no memory.current values)\n";

    if (any_pressure) {
        // Under the plot, column for column: "psi ┤▁▁▂▅█" scaled 0-100%.
        const std::size_t label_width = lines.front().find("┤") - 1;
        std::string row = "psi";
        row = std::string(label_width > row.size() ? label_width - row.size() : 0, ' ') + row + " ┤" +
              sparkline(pressure, kPlotWidth, 100.0);
        lines.insert(lines.end() - 2, row);
    }
    for (const auto& line : lines) out += "  " + style.chart_line(line) + "\n";
    if (any_pressure) {
        char peak[64];
        std::snprintf(peak, sizeof peak, "%.1f%%", max_pressure);
        out += style.dim("  psi = memory pressure: % of time every task waited for memory (PSI full avg10); peak ") +
               style.dim(peak) + "\n";
    }
    return out;
}

std::string stderr_tail(const Bundle& bundle, const Style& style) {
    bool exists = false;
    const auto lines = read_lines(bundle.info.path / kStderrTail, &exists);
    if (!exists) return "";
    if (lines.empty()) return style.bold("stderr") + style.dim("  " + std::string(kStderrTail) + " is empty") + "\n";
    const std::size_t shown = std::min(lines.size(), kStderrLines);
    const std::string what = shown == lines.size()
                                 ? "all " + std::to_string(shown) + (shown == 1 ? " line" : " lines") + " of "
                                 : "the last " + std::to_string(shown) + " of " + std::to_string(lines.size()) + " lines in ";
    std::string out = style.bold("stderr") + style.dim("  " + what + std::string(kStderrTail)) + "\n";
    for (std::size_t i = lines.size() - shown; i < lines.size(); ++i) {
        out += "  " + style.dim("│") + " " + fit_width(clean_line(lines[i]), kWidth - 4) + "\n";
    }
    return out;
}

// The top of the JavaScript stack: where a hung loop was stuck, or where Node died of a fatal error.
std::string javascript_stack(const Bundle& bundle, const Style& style) {
    const bool hung = bundle.info.reason == "hung";
    const std::string title = hung ? "JavaScript stack when it hung" : "JavaScript stack";
    if (!bundle.stack) return hung ? style.bold(title) + "\n  none: see the evidence above\n" : "";
    const auto& frames = bundle.stack->frames;
    const std::size_t shown = std::min(frames.size(), kStackFrames);
    std::string out = style.bold(title) + style.dim("  from " + bundle.stack->source) + "\n";
    for (std::size_t i = 0; i < shown; ++i) {
        out += "  " + style.dim("│") + " at " + fit_width(clean_line(frame_text(frames[i])), kWidth - 7) + "\n";
    }
    if (frames.size() > shown) out += style.dim("  ... " + std::to_string(frames.size() - shown) + " more frame(s)") + "\n";
    if (frames.empty()) out += "  no frames\n";
    return out;
}

std::string kernel_lines(const Bundle& bundle, const Style& style) {
    bool exists = false;
    const auto lines = read_lines(bundle.info.path / kKernelLog, &exists);
    if (!exists) return "";
    std::string out = style.bold("Kernel") + style.dim("  from " + std::string(kKernelLog)) + "\n";
    bool found = false;
    for (const auto& line : lines) {
        if (line.find("Killed process") == std::string::npos) continue;
        out += "  " + style.dim("│") + " " + wrap(clean_line(line), kWidth, 6) + "\n";
        found = true;
    }
    if (!found) out += "  no \"Killed process\" line\n";
    return out;
}

std::string file_list(const Bundle& bundle, const Style& style) {
    std::string out = style.bold("Files") + style.dim("  in ") + bundle.info.path.string() + "\n";
    std::size_t name_width = 0;
    std::size_t size_width = 0;
    for (const auto& file : bundle.files) {
        name_width = std::max(name_width, file.name.size());
        size_width = std::max(size_width, format_size(file.size).size());
    }
    for (const auto& file : bundle.files) {
        const std::string size = format_size(file.size);
        out += "  " + file.name + std::string(name_width - file.name.size() + 2 + size_width - size.size(), ' ') +
               size + "\n";
    }
    return out;
}

}  // namespace

std::string render_show(const Bundle& bundle, const Style& style) {
    std::string out = style.bold("Post-mortem " + bundle.info.id) + "\n\n";
    out += facts(bundle, style);
    if (const std::string stack = javascript_stack(bundle, style); !stack.empty()) out += "\n" + stack;
    out += "\n" + memory_picture(bundle, style);
    for (const std::string& section : {stderr_tail(bundle, style), kernel_lines(bundle, style)}) {
        if (!section.empty()) out += "\n" + section;
    }
    out += "\n" + file_list(bundle, style);
    return out;
}

}  // namespace corral::supervisor::cli
