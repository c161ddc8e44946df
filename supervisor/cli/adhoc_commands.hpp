#pragma once
// Ad-hoc apps: services added to a running daemon without a file.
//   corral run [-d] ... -- CMD     with a daemon running for the state directory (or --socket/-c given):
//                                  `add` the command as a new service, wait until it runs, and say so
//   corral delete NAME...          stop each ad-hoc service and forget it, waiting until it is gone
//   corral save [FILE] [--force]   write the daemon's services as a service file (save_command.hpp)
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/up_command.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor::cli {

// Sends `spec` to the daemon as `add` and waits until its instances run; "added service web (2 instances)
// to the daemon of FILE" (or of STATE_DIR). The exit code.
int add_command(const ClientOptions& options, const config::ServiceSpec& spec, const WaitOptions& wait = {});

// `corral run`'s part when a daemon answers: with --socket or -c the daemon must be there (exit 3 when it
// is not); else the daemon of `state_dir` when one answers there. nullopt: none does, start one.
std::optional<int> add_to_running_daemon(const RunOptions& options, const config::ServiceSpec& spec,
                                         const std::filesystem::path& state_dir);

int delete_command(const ClientOptions& options, const std::vector<std::string>& names, const WaitOptions& wait);

}  // namespace corral::supervisor::cli
