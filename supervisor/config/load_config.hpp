#pragma once
// Service file -> Config. Every error in the file is collected (not only the first) and reported with
// its position; a Config is returned only when there are none.
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
