#pragma once
// What the commands that change things print: start, stop, restart, signal, reload, and error replies.
#include <string>
#include <string_view>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

// {"instances":["api#0","api#1"]} -> "restarting api#0, api#1\n". `cmd`: start, stop, restart; for
// signal, `signal` is the signal's name: "sent SIGUSR2 to api#0, api#1\n".
std::string render_instances(std::string_view cmd, const Json& result, std::string_view signal = {});

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
