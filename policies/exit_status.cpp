#include "policies/exit_status.hpp"

#include "policies/signal_names.hpp"

namespace corral::policies {

std::string describe(const ExitStatus& exit) {
    if (exit.spawn_failed) return "could not be started";
    if (exit.signal != 0) return "killed by " + signal_name(exit.signal);
    return "exited with code " + std::to_string(exit.code);
}

}  // namespace corral::policies
