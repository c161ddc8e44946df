#pragma once
// The driver for hybrid hosts (cgroup v1 controllers at <root>/<controller>, possibly a controller-less
// cgroup2 at <root>/unified), and for plain v1 hosts.
//
// libcgroup 2.0.2 handles the v1 hierarchies (v1_hierarchies.hpp): creating nested groups, writing
// limits, memory.stat. It cannot create, attach or delete on cgroup2, so the unified group is written
// directly; it gives the operations v1 lacks or does badly: cgroup.kill (v1 needs freeze, kill each,
// thaw), cgroup.freeze (the v1 freezer defers SIGKILL until thawed), cgroup.events and PSI.
#include <memory>

#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor::cgroup {

Result<std::unique_ptr<Driver>> make_hybrid_driver(const DriverOptions& options);

}  // namespace corral::supervisor::cgroup
