#pragma once
// What the commands that wait for their result print (start, stop, restart, reload, signal): a line per
// progress event as it comes, then a line per instance that got where it was sent.
//
// progress:   web#0: running -> stopping: stop requested
// heartbeat:  still waiting for web#1 (starting), 5s so far
// outcomes:   web#0 is already running (pid 4242)      web#1: running (pid 4321)        web#2: stopped
//             web#0: sent SIGUSR2 to pid 4242
// Failures are the error reply's message (render_error), the outcomes of the instances that did get there
// first.
#include <string>
#include <string_view>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

// {"instance","from","to","reason"} or {"waiting":[{"instance","state"}],"elapsed_ms"} -> one line.
std::string render_progress(const Json& event, const Style& style);

// The "outcomes" of a result (or of an error's details): a line for each that is done, or was done
// already, or was signalled (`signal`: the signal's name). A result without outcomes (a daemon that did
// not wait) is worded as render_instances does.
std::string render_outcomes(std::string_view cmd, const Json& result, std::string_view signal = {});

// What a command that waited prints at the end: for reload its changes (render_reload) and then the
// outcomes; for the others the outcomes.
std::string render_waited(std::string_view cmd, const Json& result, std::string_view signal = {});

}  // namespace corral::supervisor::cli
