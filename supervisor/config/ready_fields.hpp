#pragma once
// Reading of a service's readiness and rollout keys (used by service_fields.cpp):
//   ready = "exec" | "listening" | "message" | { http = "http://127.0.0.1:3000/health" } | { tcp = "127.0.0.1:3000" }
//   ready_timeout = "30s"                       from 1ms to 1h
//   rollout = { surge = 1, max_unavailable = 0 }   0 or 1 each (one instance at a time), not both 0
// "listening" needs `listen` addresses, listen_adopt and a json channel; "message" a json channel: checked
// by check_ready once the whole service is read.
#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

void read_ready(Diagnostics& diagnostics, TableReader& service, ServiceSpec& spec);
void read_rollout(Diagnostics& diagnostics, TableReader& service, RolloutSpec& out);
// What `ready` needs from the rest of the service; an error at `ready` otherwise.
void check_ready(Diagnostics& diagnostics, const toml::table& service, const std::string& path, const ServiceSpec& spec);

}  // namespace corral::config
