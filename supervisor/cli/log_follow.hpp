#pragma once
// `corral logs -f` without a daemon: the log files are polled (every 250 ms) and what was appended is
// printed, until Ctrl-C. A file that got shorter was rotated or flushed and is read again from its start;
// lines written just before a rotation may be missed (the daemon's -f misses none).
#include <filesystem>
#include <functional>

#include "supervisor/instance/log_reader.hpp"
#include "supervisor/protocol/commands.hpp"
#include "supervisor/protocol/target.hpp"

namespace corral::supervisor::cli {

// Never returns but on an error reading the directory (the exit code).
int follow_log_files(const std::filesystem::path& dir, const protocol::Target& target, protocol::LogStream streams,
                     const std::function<void(const LogLine&)>& print);

}  // namespace corral::supervisor::cli
