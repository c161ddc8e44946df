#pragma once
// The logs of a state directory read straight from its files, for when no daemon answers: `corral logs`
// (the last lines, merged by arrival time, and -f by polling the files) and `corral flush`.
//
// A log is `<state_dir>/logs/<service>-<index>.<out|err>.log`; the instances are the ones with a log there,
// service names in alphabetical order (no daemon says the order of the file), then by index.
#include <filesystem>
#include <string>
#include <vector>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/instance/log_reader.hpp"
#include "supervisor/protocol/target.hpp"

namespace corral::supervisor::cli {

struct LogFileName {
    std::string service;
    unsigned index = 0;
    std::string stream;  // "out" or "err"
    std::filesystem::path path;
    std::string instance() const { return service + "#" + std::to_string(index); }
};

// The live logs of `dir` that `target` names, in instance order, out before err.
std::vector<LogFileName> find_log_files(const std::filesystem::path& dir, const protocol::Target& target,
                                        protocol::LogStream streams);

// `corral logs` without a daemon: says so on stderr, then prints as the daemon's reply would be printed.
int logs_from_files(const ClientOptions& options, const LogsOptions& logs, const protocol::Target& target,
                    const LogQuery& query);

}  // namespace corral::supervisor::cli
