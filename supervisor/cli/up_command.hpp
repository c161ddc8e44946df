#pragma once
// `corral up [FILE]` and `corral run [options] -- CMD ARGS...`: both end in run_daemon(), in the foreground.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/exit_codes.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor {

// `detach` (-d): run in the background and return once the daemon answers on its socket. In the foreground
// the programs' lines are printed on stdout unless `quiet`; `attach` (--attach, or CORRAL_ATTACH=1 in the
// environment) prints stdout lines on stdout and stderr lines on stderr, plainly, as containers want.
int up_command(const std::filesystem::path& file, bool detach, bool quiet = false, bool attach = false);

struct RunOptions {
    std::string name;  // derived from the command when empty
    std::string restart = "always";
    unsigned instances = 1;
    std::filesystem::path state_dir = ".corral";
    bool detach = false;
    bool quiet = false;  // in the foreground, the program's lines only go to the logs
    bool attach = false;  // in the foreground, as up_command's `attach`
    std::vector<std::string> command;
    // A daemon to add the command to (adhoc_commands.hpp): --socket, -c, and --json for its reply.
    std::optional<std::filesystem::path> socket;
    std::optional<std::filesystem::path> config_file;
    bool json = false;
};

// In the foreground, it returns once the program is done for good (restart = "never" and it exited, or
// the start limit failed it; every instance with --instances) with the program's exit code (128+N for
// signal N; with several instances the first non-zero in index order), after stopping like `shutdown`.
int run_command(const RunOptions& options);

// "npx my-app --port 3" -> "my-app"; "node server.js" -> "server"; always a valid service name.
std::string name_from_command(const std::vector<std::string>& command);

}  // namespace corral::supervisor
