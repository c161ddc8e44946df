#pragma once
// Service specs back to service-file text, for `corral save`: the keys `corral run` (and the protocol's
// `add`) can set (command, shell, cwd, env, instances, restart), each written only when it differs from
// the default, so that the file stays small and load_config reads the same spec back. Strings are written
// by toml++, so quotes, backslashes and control characters are escaped as TOML wants.
//
// check_run_service is the other way: a spec made of those keys, checked as the loader checks a
// [services.NAME] table (the same rules and the same messages, e.g. "invalid directory for
// services.web.cwd: /x does not exist (...)"), since it is read back from the table it writes.
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "supervisor/config/service_spec.hpp"

namespace corral::config {

// The [services.NAME] table of `spec`, its non-default run keys only.
toml::table run_fields_table(const ServiceSpec& spec);

// "[services.NAME]\nkey = value\n..." for each spec, in order, a blank line between them.
std::string services_text(const std::vector<ServiceSpec>& specs);

// A whole service file: [supervisor] state_dir when `state_dir` is set, then services_text(specs).
std::string service_file_text(const std::vector<ServiceSpec>& specs,
                              const std::optional<std::filesystem::path>& state_dir);

// `spec` read back as the loader reads a [services.NAME] table: the spec the daemon runs (every other key
// at its default), or the first problem's message.
std::variant<ServiceSpec, std::string> check_run_service(const ServiceSpec& spec);

}  // namespace corral::config
