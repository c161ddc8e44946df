#pragma once
// `corral up [FILE]` and `corral run [options] -- CMD ARGS...`: both end in run_daemon(), in the foreground.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/exit_codes.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor {

// `detach` (-d): run in the background and return once the daemon answers on its socket.
int up_command(const std::filesystem::path& file, bool detach);

struct RunOptions {
    std::string name;  // derived from the command when empty
    std::string restart = "always";
    unsigned instances = 1;
    std::filesystem::path state_dir = ".corral";
    bool detach = false;
    std::vector<std::string> command;
    // A daemon to add the command to (adhoc_commands.hpp): --socket, -c, and --json for its reply.
    std::optional<std::filesystem::path> socket;
    std::optional<std::filesystem::path> config_file;
    bool json = false;
};

int run_command(const RunOptions& options);

// "npx my-app --port 3" -> "my-app"; "node server.js" -> "server"; always a valid service name.
std::string name_from_command(const std::vector<std::string>& command);

}  // namespace corral::supervisor
