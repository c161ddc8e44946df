#pragma once
// What the Node agent reports about its process every sample interval, on the instance's IPC channel as
// one of Node's internal messages (which Node hands to the app's 'internalMessage' side, never to its
// 'message' listeners, and which the broker takes and never forwards):
//
//   {"cmd":"NODE_CORRAL_RUNTIME","heap_used":N,"heap_total":N,"external":N,"array_buffers":N,
//    "loop_p50_ms":X,"loop_p99_ms":X,"loop_max_ms":X,"handles":N,"gc_ms":X}
//
// Memory in bytes (process.memoryUsage()); event-loop delay over the interval since the previous report
// (perf_hooks.monitorEventLoopDelay, less its 10 ms timer: an idle loop reads 0); active handles (process.getActiveResourcesInfo()); GC time summed
// since the process started.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::agent {

inline constexpr std::string_view kRuntimeReportCmd = "NODE_CORRAL_RUNTIME";
// The environment variable that asks the agent for reports: the interval in milliseconds. The agent takes it
// out of its environment, so that the app's own Node children do not report too.
inline constexpr std::string_view kRuntimeReportEnv = "CORRAL_REPORT_MS";

struct RuntimeReport {
    std::uint64_t heap_used = 0;
    std::uint64_t heap_total = 0;
    std::uint64_t external = 0;
    std::uint64_t array_buffers = 0;
    double loop_p50_ms = 0;
    double loop_p99_ms = 0;
    double loop_max_ms = 0;
    std::uint64_t handles = 0;
    double gc_ms = 0;

    bool operator==(const RuntimeReport&) const = default;
};

// The report in `payload` (the message's JSON text), or nullopt with `error` saying what is wrong.
std::optional<RuntimeReport> parse_runtime_report(std::string_view payload, std::string& error);

}  // namespace corral::agent
