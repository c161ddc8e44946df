#pragma once
// The driver for hybrid hosts: cgroup v1 controllers at <root>/{memory,pids,cpu,...} plus the
// controller-less cgroup2 mount at <root>/unified for kill, freeze, events and PSI.
#include <memory>

#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor::cgroup {

Result<std::unique_ptr<Driver>> make_hybrid_driver(const DriverOptions& options);

}  // namespace corral::supervisor::cgroup
