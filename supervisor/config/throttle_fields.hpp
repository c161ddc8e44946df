#pragma once
// Reading of a service's `throttle` key into policies::SenderThrottleParams (used by service_fields.cpp):
//   throttle = true | false           on (the default) with the defaults, or off
//   throttle = { above = "2MiB", for = "100ms", cpu = "10%" }
//     above  bytes the service has written to its channel that corral has not read yet, from 64KiB to
//            1GiB (default "2MiB")
//     for    how long they must stay above (default "100ms", from 1ms to 1 minute)
//     cpu    the service's CPU while throttled, a percentage of one CPU from 1% (default "10%")
// It applies only to a service whose messages corral routes (a sender); others never have unread bytes.
// A wrong key is recorded in the Diagnostics and `out` is left as it was.
#include <optional>

#include "policies/sender_throttle.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

void read_throttle(Diagnostics& diagnostics, TableReader& service, std::optional<policies::SenderThrottleParams>& out);

}  // namespace corral::config
