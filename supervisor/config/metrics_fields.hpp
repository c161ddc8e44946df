#pragma once
// Reading of [supervisor] metrics, the address of the Prometheus endpoint:
//   metrics = "127.0.0.1:9464"     an IPv4 address and a port
//   metrics = "[::1]:9464"         an IPv6 address in brackets
// Port 0 lets the kernel pick one (the daemon logs it and shows it in `status --json`). The host is
// required: an endpoint that every interface reaches is asked for by name ("0.0.0.0:9464", "[::]:9464").
// A wrong value is recorded in the Diagnostics and `out` is left as it was.
#include <optional>

#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

void read_metrics(Diagnostics& diagnostics, TableReader& supervisor, std::optional<MetricsAddress>& out);

}  // namespace corral::config
