#pragma once
// What the commands that change things print: start, stop, restart, signal, reload, and error replies.
#include <string>
#include <string_view>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

// {"instances":["api#0","api#1"]} -> "restarting api#0, api#1\n". `cmd`: start, stop, restart; for
// signal, `signal` is the signal's name: "sent SIGUSR2 to api#0, api#1\n".
// Those of "already" (start of a running one, stop of a stopped one) get a line of their own instead:
// "api#0 is already running\n".
std::string render_instances(std::string_view cmd, const Json& result, std::string_view signal = {});

// cool and heat: {"instances":[{"instance","cooling","reason","already"}],"not_running":[...]} ->
// "api#0: cooling (manual: corral cool)", "api#0 is already cooling", "api#0 is not cooling" (heat),
// "api#1: not running".
std::string render_cooling(const Json& result);

// {"changes":[{"service":"api","action":"restart"},...]} ->
//   reloaded: 2 changes
//     api     restart
//     worker  scale (from: 2, to: 4)
// or "reloaded: no changes". Other members of a change are shown in parentheses; a "warnings" array of
// the result is printed after the changes, one "warning: ..." a line.
std::string render_reload(const Json& result);

// An error reply's error object -> what goes to stderr: each of its details (a list of strings, such as
// invalid_config's "FILE:LINE:COL: ...") on its own line, then "corral CMD: MESSAGE".
std::string render_error(std::string_view cmd, const Json& error);

}  // namespace corral::supervisor::cli
