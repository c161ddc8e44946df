#pragma once
// corral's own log: one line per lifecycle transition with its reason, to <state_dir>/corral.log
// (rotated at 10 MiB, 3 kept) and, in the foreground, to stderr.
#include <filesystem>
#include <string>

namespace corral::supervisor {

// Returns false and sets `error` when the log file cannot be opened (stderr logging still works).
bool setup_daemon_log(const std::filesystem::path& file, bool to_stderr, std::string& error);

}  // namespace corral::supervisor
