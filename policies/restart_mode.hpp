#pragma once
// Which exits a service wants to be restarted after (systemd's Restart=, pm2's autorestart).
#include <optional>
#include <string_view>

#include "policies/exit_status.hpp"

namespace corral::policies {

enum class RestartMode { always, on_failure, never };

std::string_view to_string(RestartMode mode);
std::optional<RestartMode> restart_mode_from(std::string_view text);

// A clean exit (code 0) counts as success; a signal, a non-zero code or a failed spawn is a failure.
bool wants_restart(RestartMode mode, const ExitStatus& exit);

}  // namespace corral::policies
