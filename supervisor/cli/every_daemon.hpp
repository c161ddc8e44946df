#pragma once
// --all of the client commands: the same command against every registered daemon (supervisor/registry/),
// one after the other, each section headed by the daemon's service file:
//
//   == /srv/app/corral.toml (pid 4242) ==
//   ...what the command prints...
//
// ("(run) STATE_DIR" for a daemon of `corral run`). With --json each section is headed by one line
// {"daemon":{"pid","service_file","state_dir","socket"}} instead, so that the output is a stream of JSON
// values. The exit code is the highest of the daemons' (0 when all went well, 3 when no daemon is
// registered, after saying "no corral daemon is running").
#include <functional>

#include "supervisor/cli/client_commands.hpp"

namespace corral::supervisor::cli {

int on_every_daemon(const ClientOptions& options, const std::function<int(const ClientOptions&)>& command);

}  // namespace corral::supervisor::cli
