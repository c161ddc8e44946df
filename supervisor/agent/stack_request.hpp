#pragma once
// The JavaScript stack of a Node process whose event loop is stuck, taken by the Node agent on request
// (liveness). The daemon sets kStackDirEnv to the instance's diagnostics directory; the agent's worker thread
// watches it, and when kStackRequestFile appears it pauses the main thread through the inspector (V8 serves
// that through an interrupt, even in `while (true) {}`), writes the frames to kStackFile and resumes it:
//
//   {"pid":1234,"taken_at":"2026-12-07T23:08:43.384Z",
//    "frames":[{"function":"spinForever","url":"file:///srv/app.js","line":4,"column":3}, ...]}   (1-based)
//
// Not a signal and Node's --report-on-signal: Node serves those on the event loop, which is what is stuck
// (measured on Node 20: no report from a process in `while (true) {}`).
#include <string_view>

namespace corral::agent {

inline constexpr std::string_view kStackDirEnv = "CORRAL_STACK_DIR";
inline constexpr std::string_view kStackRequestFile = "javascript-stack.request";
inline constexpr std::string_view kStackFile = "javascript-stack.json";  // postmortem::kJavascriptStack too

}  // namespace corral::agent
