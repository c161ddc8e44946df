#include "supervisor/daemon/runtime_status.hpp"

#include <algorithm>
#include <cmath>

namespace corral::supervisor {

namespace {

// Milliseconds to the microsecond: the agent's figures come from nanosecond histograms.
double to_microsecond(double ms) { return std::round(ms * 1000) / 1000; }

}  // namespace

nlohmann::json runtime_json(const Instance& instance, policies::TimePoint now) {
    const auto& sample = instance.runtime();
    if (!sample || instance.pid() <= 0) return nullptr;
    const agent::RuntimeReport& report = sample->report;
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - sample->at).count();
    return {{"heap_used", report.heap_used},
            {"heap_total", report.heap_total},
            {"external", report.external},
            {"array_buffers", report.array_buffers},
            {"loop_p50_ms", to_microsecond(report.loop_p50_ms)},
            {"loop_p99_ms", to_microsecond(report.loop_p99_ms)},
            {"loop_max_ms", to_microsecond(report.loop_max_ms)},
            {"handles", report.handles},
            {"gc_ms", to_microsecond(report.gc_ms)},
            {"age_ms", std::max<std::int64_t>(0, age)}};
}

}  // namespace corral::supervisor
