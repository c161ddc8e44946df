#pragma once
// Parsing of /proc/<pid>/cgroup: "ID:controllers:path" per hierarchy; ID 0 with no controllers is the
// cgroup2 (unified) hierarchy.
#include <optional>
#include <string>
#include <string_view>

namespace corral::supervisor::cgroup {

// The path of the hierarchy that carries `controller` ("memory"; "" for the unified one), e.g.
// "/process_api/6828"; nullopt when no line carries it.
std::optional<std::string> own_cgroup_path(std::string_view proc_self_cgroup, std::string_view controller);

// Contents of /proc/self/cgroup.
std::string read_self_cgroup();

}  // namespace corral::supervisor::cgroup
