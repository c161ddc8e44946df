#pragma once
// Reading of one [services.NAME] table into a ServiceSpec (used by load_config.cpp). Problems are
// recorded in the Diagnostics; the returned spec then holds defaults for the fields that were wrong and
// must not be used.
#include <filesystem>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

// `path` is the table's dotted path ("services.api"); relative paths are resolved against `base_dir`.
ServiceSpec read_service(Diagnostics& diagnostics, const toml::table& table, const std::string& path,
                         const std::filesystem::path& base_dir);

// `text` relative to `base_dir` (absolute), lexically normalized, without a trailing separator.
std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view text);

}  // namespace corral::config
