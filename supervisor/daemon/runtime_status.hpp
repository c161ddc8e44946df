#pragma once
// The Node agent's latest report on an instance (supervisor/agent/runtime_report.hpp) as `status --json`
// and `describe` show it:
//   {"heap_used":N,"heap_total":N,"external":N,"array_buffers":N,"loop_p50_ms":X,"loop_p99_ms":X,
//    "loop_max_ms":X,"handles":N,"gc_ms":X,"age_ms":N}
// Bytes as reported; the event-loop delay over the interval before the report; GC time since the process
// started; age_ms: how long ago the report came. Null while no process runs or it has not reported yet
// (no agent: node_agent = false, ipc = "off" or "advanced", or a program that is not Node).
#include <nlohmann/json.hpp>

#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

nlohmann::json runtime_json(const Instance& instance, policies::TimePoint now);

}  // namespace corral::supervisor
