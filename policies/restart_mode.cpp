#include "policies/restart_mode.hpp"

namespace corral::policies {

std::string_view to_string(RestartMode mode) {
    switch (mode) {
        case RestartMode::always: return "always";
        case RestartMode::on_failure: return "on-failure";
        case RestartMode::never: return "never";
    }
    return "?";
}

std::optional<RestartMode> restart_mode_from(std::string_view text) {
    if (text == "always") return RestartMode::always;
    if (text == "on-failure") return RestartMode::on_failure;
    if (text == "never") return RestartMode::never;
    return std::nullopt;
}

bool wants_restart(RestartMode mode, const ExitStatus& exit) {
    switch (mode) {
        case RestartMode::always: return true;
        case RestartMode::on_failure: return !exit.clean();
        case RestartMode::never: return false;
    }
    return false;
}

}  // namespace corral::policies
