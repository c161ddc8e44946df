#include "supervisor/cli/runtime_view.hpp"

#include <cstdio>

#include "base/text_format.hpp"

namespace corral::supervisor::cli {

namespace {

const Json kNull = nullptr;

const Json& field(const Json& object, std::string_view key) {
    const auto found = object.find(key);
    return found == object.end() ? kNull : *found;
}

std::string bytes_text(const Json& value) {
    return value.is_number() && value.get<double>() >= 0 ? format_size(value.get<std::uint64_t>()) : "-";
}

std::string count_text(const Json& value) {
    return value.is_number() && value.get<double>() >= 0 ? std::to_string(value.get<std::uint64_t>()) : "-";
}

}  // namespace

std::string agent_ms_text(const Json& ms) {
    if (!ms.is_number()) return "-";
    const double value = ms.get<double>();
    if (value >= 1000) return format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(value)));
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.2fms" : "%.1fms", value < 0 ? 0.0 : value);
    return text;
}

std::string runtime_lines(const Json& runtime, std::string_view pad) {
    if (!runtime.is_object()) return "";
    const Json& handles = field(runtime, "handles");
    std::string out = std::string(pad) + "  node  heap " + bytes_text(field(runtime, "heap_used")) + " of " +
                      bytes_text(field(runtime, "heap_total")) + ", external " + bytes_text(field(runtime, "external")) +
                      ", array buffers " + bytes_text(field(runtime, "array_buffers")) + ", " + count_text(handles) +
                      (handles == 1 ? " active handle\n" : " active handles\n");
    const Json& age = field(runtime, "age_ms");
    out += std::string(pad) + "        event-loop delay p50 " + agent_ms_text(field(runtime, "loop_p50_ms")) + ", p99 " +
           agent_ms_text(field(runtime, "loop_p99_ms")) + ", max " + agent_ms_text(field(runtime, "loop_max_ms")) +
           "; GC " + agent_ms_text(field(runtime, "gc_ms")) + " in all; reported " +
           (age.is_number_integer() ? format_duration(std::chrono::milliseconds(age.get<std::int64_t>())) + " ago"
                                    : std::string("-")) +
           "\n";
    return out;
}

}  // namespace corral::supervisor::cli
