#pragma once
// Reading of the IPC broker's routes (used by load_config.cpp): the top-level [[routes]] array of tables,
// and the two routes each service's `parent` makes. Checked here because they join services:
//   - from and to name services of the file (with a suggestion for a typo), and differ;
//   - a parent names another service of the file;
//   - both ends of a route and of a parent pair have an ipc channel (ipc is not "off") and the same
//     serialization (json or advanced);
//   - no pair of from and to comes twice. The routes of `parent` come first: a [[routes]] entry that
//     repeats one is the error (it could not set limits on it), and of two parents that join the same two
//     services, the later one in the file.
// Config::routes gets the [[routes]] entries in file order, then the routes of each parent in service file
// order (parent -> service, then service -> parent), marked implicit and with default limits.
#include <span>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

// One [services.NAME] entry of the file, as the routes see it.
struct ServiceEntry {
    std::string name;
    const toml::table* table = nullptr;  // nullptr when the entry is not a table (already reported)
};

// Takes `routes` from `root`. `services` lists every entry of [services] in file order, also those whose
// name or contents are wrong (those are reported already; a route to them is not reported again).
void read_routes(Diagnostics& diagnostics, TableReader& root, std::span<const ServiceEntry> services,
                 Config& config);

// The file's name of an overflow policy ("drop-oldest").
std::string_view overflow_name(ipc::Overflow overflow);

}  // namespace corral::config
