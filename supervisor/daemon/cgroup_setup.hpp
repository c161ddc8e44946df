#pragma once
// What `[supervisor] cgroups` means at start-up and on reload:
//   off       no cgroups: process groups only;
//   auto      cgroups when the host allows; otherwise one warning and no limits; a limit the host cannot
//             apply is a warning naming the service and the key;
//   required  the daemon refuses to start (and a reload is refused) when cgroups or any limit a service
//             asks for cannot be had, with the reason.
#include <memory>
#include <string>
#include <vector>

#include "supervisor/cgroup/driver.hpp"
#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor {

struct CgroupSetup {
    std::unique_ptr<cgroup::Driver> driver;  // null: run without cgroups
    std::string error;                       // set: the daemon must not start
};

// Opens the driver for `config` (and removes leftovers of an earlier daemon with the same state
// directory), logging what it did.
CgroupSetup setup_cgroups(const config::Config& config);

// The limits of `config`'s services that cannot be applied here, as "service: key: why" lines.
std::vector<std::string> unapplicable_limits(const config::Config& config, const cgroup::Driver* driver,
                                             const std::string& why_no_driver);

// Logs the unapplicable limits as warnings (auto) or errors (required); false when they forbid going on.
bool accept_limits(const config::Config& config, const cgroup::Driver* driver, const std::string& why_no_driver);

}  // namespace corral::supervisor
