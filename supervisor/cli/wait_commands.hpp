#pragma once
// The waiting half of start, stop, restart, reload and signal: send the command with "wait": true, print
// each progress event as it comes, then the outcome; exit 0 once everything got where it was sent, 1 when
// something did not (or the wait timed out), with the daemon's reason. With --json every line printed is
// one JSON object: the events as the daemon sent them, then the result (or {"error":...}).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/control_client.hpp"
#include "supervisor/protocol/commands.hpp"

namespace corral::supervisor::cli {

// --timeout's text ("30s", "2m") as the bound of a wait: nullopt for "" (no bound); after printing why,
// kExitUsage in `exit_code` for anything that is not a duration from 1ms to 24h.
std::optional<std::chrono::milliseconds> read_timeout(std::string_view cmd, const std::string& text, int& exit_code);

// Sends `command` (which asks to wait) and prints what happens; the exit code. `signal`: the signal's name,
// for signal. `done`, when given, adds its words about the result after the outcomes (add, delete).
int wait_for_result(const ClientOptions& options, const protocol::Command& command, std::string_view signal = {},
                    const std::function<std::string(const Json& result)>& done = {});

}  // namespace corral::supervisor::cli
