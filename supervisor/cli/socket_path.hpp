#pragma once
// Where the daemon is: its state directory, and the control socket in it. Shared by every command that
// talks to the daemon or reads what it left (`corral postmortem`), so they all find the same one.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/config/config_error.hpp"

namespace corral::supervisor::cli {

inline constexpr const char* kSocketName = "corral.sock";
inline constexpr const char* kSocketEnv = "CORRAL_SOCKET";

// A path found, or the errors of the service file it had to come from.
struct Lookup {
    std::filesystem::path path;            // absolute and lexically normal; empty when `errors` is not
    std::optional<std::filesystem::path> file;  // the service file read, as given ("corral.toml")
    config::ConfigErrors errors;

    bool ok() const { return errors.empty(); }
};

// The state directory of the daemon of `config_file` (-c), else of ./corral.toml when that file exists:
// the one in the registry entry of the daemon started with that file (registry/), else the file's
// [supervisor] state_dir read alone (config/state_dir_only.hpp), else .corral beside the file (it is not
// TOML). Without a file, ./.corral. The file is never validated: one with errors still finds its daemon.
// The only error left is a file that cannot be read.
Lookup find_state_dir(const std::optional<std::filesystem::path>& config_file);

// The control socket: `socket_flag` (--socket), else `config_file`'s state directory (-c), else
// $CORRAL_SOCKET when set and not empty, else the state directory's (as find_state_dir) + "/corral.sock".
Lookup find_socket(const std::optional<std::filesystem::path>& socket_flag,
                   const std::optional<std::filesystem::path>& config_file);

// Prints the service file's errors to stderr, one a line, then
// "corral: N error(s) in FILE; <instead>" (instead: "give the state directory with --state-dir instead").
void print_lookup_errors(const Lookup& lookup, std::string_view instead);

// `path` for messages: "./.corral/corral.sock" when it is below the working directory, else as it is.
std::string display_path(const std::filesystem::path& path);

}  // namespace corral::supervisor::cli
