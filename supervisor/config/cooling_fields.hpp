#pragma once
// Reading of [services.NAME.cooling] (or cooling = { ... }) into policies::CoolingParams (used by
// service_fields.cpp):
//   trigger       "write_rate" | "ipc_rate" | "memory" | "pressure" | "schedule" (required)
//   above         the threshold, required except with "schedule" (where it is an error): write_rate a byte
//                 rate "20MiB/s"; ipc_rate messages "2000/s" / "30/m" or bytes "20MiB/s"; memory a share of
//                 memory.max "80%" (the service must set memory.max); pressure PSI avg10 "50%"
//   for           how long the value must stay above (default "10s"; not with "schedule")
//   work          the least time working between two cool periods (default "60s")
//   cool          the length of a cool period (default "60s")
//   resume_below  hysteresis, a percentage of above (default "80%"; not with "schedule")
//   mode          "hold" | "freeze" (default "hold")
// A wrong key is recorded in the Diagnostics and `out` is left unset.
#include <optional>
#include <string_view>

#include "policies/cooling.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/config/toml_fields.hpp"

namespace corral::config {

// `service` reads the service's table; `spec` holds what was read of it so far (memory.max, ipc).
void read_cooling(Diagnostics& diagnostics, TableReader& service, const ServiceSpec& spec,
                  std::optional<policies::CoolingParams>& out);

// The file's name of a cooling trigger ("write_rate").
std::string_view trigger_name(policies::CoolingTrigger trigger);

}  // namespace corral::config
