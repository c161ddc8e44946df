// Placeholder until the hybrid driver lands: hybrid hosts report that cgroups cannot be used.
#include "supervisor/cgroup/hybrid_driver.hpp"

namespace corral::supervisor::cgroup {

Result<std::unique_ptr<Driver>> make_hybrid_driver(const DriverOptions& options) {
    return with_hint(sys_error("use cgroups at", options.root.string(), ENOSYS),
                     "the hybrid (cgroup v1) driver is not built in");
}

}  // namespace corral::supervisor::cgroup
