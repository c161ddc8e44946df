#pragma once
// Reading of a service's `liveness` key into policies::LivenessParams (used by service_fields.cpp):
//   liveness = { event_loop = "10s", startup = "30s" }
//     event_loop  how long its event loop may go without turning before the instance counts as hung (required;
//                 from 200ms to 1h, and at least twice [supervisor] sample_interval: the Node agent reports
//                 once per sample interval)
//     startup     how long a new incarnation may take before its first report (default "30s"; the larger of
//                 startup and event_loop counts)
// It needs the Node agent's runtime reports: node_agent = false or an ipc other than "json" is an error.
// A wrong key is recorded in the Diagnostics and `out` is left unset.
#include <optional>
#include <span>

#include "policies/liveness.hpp"
#include "supervisor/config/route_fields.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

// `spec` holds what was read of the service so far (node_agent, ipc).
void read_liveness(Diagnostics& diagnostics, TableReader& service, const ServiceSpec& spec,
                   std::optional<policies::LivenessParams>& out);

// event_loop against [supervisor] sample_interval, once both are read: each service with liveness.
void check_liveness(Diagnostics& diagnostics, std::span<const ServiceEntry> entries, const Config& config);

}  // namespace corral::config
