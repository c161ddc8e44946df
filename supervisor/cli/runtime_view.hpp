#pragma once
// The Node agent's report on an instance (supervisor/daemon/runtime_status.hpp) as `corral describe`
// shows it under the instance, `pad` being the instance name's width in spaces:
//
//   web#0  node  heap 12.6MiB of 28.8MiB, external 1.5MiB, array buffers 10.4KiB, 3 active handles
//                event-loop delay p50 10.1ms, p99 12.3ms, max 310.4ms; GC 115.8ms in all; reported 400ms ago
//
// "" when the instance has no report.
#include <string>
#include <string_view>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

std::string runtime_lines(const Json& runtime, std::string_view pad);

// A time of the agent's in milliseconds: "0.25ms", "10.1ms", "1.5s"; "-" for anything but a number.
std::string agent_ms_text(const Json& ms);

}  // namespace corral::supervisor::cli
