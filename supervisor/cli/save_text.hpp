#pragma once
// What `corral save` writes, from the daemon's `services` reply (pure; save_command.cpp does the I/O).
//   into the daemon's own file: that file's text untouched, comments included, and the ad-hoc services
//   appended as new [services.NAME] tables;
//   anywhere else (or for a daemon of `corral run`, which has no file): a whole file.
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "supervisor/cli/control_client.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor::cli {

struct DaemonServices {
    std::filesystem::path file;  // empty for a daemon of `corral run`
    std::filesystem::path state_dir;
    std::vector<config::ServiceSpec> services;  // in the daemon's order; only the keys `corral run` sets
    std::set<std::string> adhoc;

    std::vector<config::ServiceSpec> adhoc_services() const;
};

// The `services` result read back; nullopt (with `error`) when it is not of that shape.
std::optional<DaemonServices> read_services(const Json& result, std::string& error);

// `existing` (the daemon's file) with `added` appended after a comment line.
std::string merged_text(const std::string& existing, const std::vector<config::ServiceSpec>& added);

// A new file at `target` holding every service: `source` is the text of the daemon's file when it has one
// (copied, with the ad-hoc services appended); without one, the services as tables, and [supervisor]
// state_dir when the daemon's is not the one `target` would have by default (./.corral beside it).
std::string whole_text(const DaemonServices& daemon, const std::optional<std::string>& source,
                       const std::filesystem::path& target);

}  // namespace corral::supervisor::cli
