#include "supervisor/agent/runtime_report.hpp"

#include <nlohmann/json.hpp>

namespace corral::agent {

namespace {

template <typename T>
bool read_number(const nlohmann::json& message, const char* key, T& out, std::string& error) {
    const auto found = message.find(key);
    if (found == message.end() || !found->is_number() || found->get<double>() < 0) {
        error = std::string("\"") + key + "\" is not a non-negative number";
        return false;
    }
    out = found->get<T>();
    return true;
}

}  // namespace

std::optional<RuntimeReport> parse_runtime_report(std::string_view payload, std::string& error) {
    const nlohmann::json message = nlohmann::json::parse(payload, nullptr, false);
    if (!message.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    RuntimeReport report;
    const bool read = read_number(message, "heap_used", report.heap_used, error) &&
                      read_number(message, "heap_total", report.heap_total, error) &&
                      read_number(message, "external", report.external, error) &&
                      read_number(message, "array_buffers", report.array_buffers, error) &&
                      read_number(message, "loop_p50_ms", report.loop_p50_ms, error) &&
                      read_number(message, "loop_p99_ms", report.loop_p99_ms, error) &&
                      read_number(message, "loop_max_ms", report.loop_max_ms, error) &&
                      read_number(message, "handles", report.handles, error) &&
                      read_number(message, "gc_ms", report.gc_ms, error);
    if (!read) return std::nullopt;
    return report;
}

}  // namespace corral::agent
