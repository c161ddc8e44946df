#pragma once
// Reading of one [services.NAME] table into a ServiceSpec (used by load_config.cpp). Problems are
// recorded in the Diagnostics; the returned spec then holds defaults for the fields that were wrong and
// must not be used. `parent` is only read as a string here; whether it names a service is checked with
// the routes (route_fields.hpp).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

// `path` is the table's dotted path ("services.api"); relative paths are resolved against `base_dir`.
ServiceSpec read_service(Diagnostics& diagnostics, const toml::table& table, const std::string& path,
                         const std::filesystem::path& base_dir);

// "json", "advanced", "off" <-> IpcMode.
std::optional<IpcMode> ipc_mode_from(std::string_view name);
std::string_view ipc_mode_name(IpcMode mode);

// `text` relative to `base_dir` (absolute), lexically normalized, without a trailing separator.
std::filesystem::path resolve_path(const std::filesystem::path& base_dir, std::string_view text);

}  // namespace corral::config
