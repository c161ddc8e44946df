#pragma once
// Reading of the resource limits of one [services.NAME] table (memory, pids, cpu) into
// supervisor::cgroup::Limits, and of the memory watch that shares the memory table (restart_at,
// snapshot_at, thrashing) into policies::MemoryWatch (used by service_fields.cpp). An absent key leaves
// its limit unset (its watch setting at the default); a wrong one is recorded in the Diagnostics and
// leaves it so too.
#include "policies/memory_watch.hpp"
#include "supervisor/cgroup/limits.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

// `service` reads the service's table; the memory, pids and cpu keys are consumed through it.
void read_limits(Diagnostics& diagnostics, TableReader& service, supervisor::cgroup::Limits& limits,
                 policies::MemoryWatch& watch);

}  // namespace corral::config
