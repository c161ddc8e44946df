#pragma once
// Starting the daemon: in the foreground (`corral up`), or detached (`corral up -d`: double fork, setsid,
// stdio to /dev/null, its log only in <state_dir>/corral.log), where the command returns only once the
// daemon answers on its control socket, or with the reason it could not start.
#include "supervisor/config/service_spec.hpp"
#include "supervisor/daemon/foreground_output.hpp"

namespace corral::supervisor {

// Returns the daemon's exit code; with options.exit_when_done (corral run), that of the program once done.
int run_in_foreground(config::Config config, const ForegroundOptions& options = {});
int run_detached(config::Config config);

}  // namespace corral::supervisor
