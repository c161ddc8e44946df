#pragma once
// Service file -> Config. Every error in the file is collected (not only the first) and reported with
// its position; a Config is returned only when there are none. Messages read
//   FILE:LINE:COL: invalid value for services.api.instances (expected an integer from 1 to 1024, got integer 0)
//   FILE:LINE:COL: unknown key "restrat" in [services.api] (did you mean "restart"?)
// with FILE as the caller wrote it, errors sorted by position, and a TOML syntax error as toml++ words it
// (parsing stops there, so it comes alone). Config::file and every path in Config are absolute and
// lexically normal (symlinks are kept). The loader checks that each cwd is an existing directory; it does
// not look up command[0] (the daemon does at spawn time) nor create state_dir.
#include <filesystem>
#include <optional>
#include <string_view>

#include "supervisor/config/config_error.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::config {

struct LoadResult {
    std::optional<Config> config;  // set iff errors is empty
    ConfigErrors errors;
};

LoadResult load_config_file(const std::filesystem::path& file);

// `file` names the document in messages and anchors relative paths (its parent directory).
LoadResult load_config_text(std::string_view text, const std::filesystem::path& file);

}  // namespace corral::config
