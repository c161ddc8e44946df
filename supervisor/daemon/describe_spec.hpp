#pragma once
// A service's spec and its routes as `describe` shows them: what the daemon runs, every default filled
// in, durations in milliseconds, sizes in bytes, an unset limit as null; the values of secret-looking
// environment variables masked (config/secret_env.hpp).
#include <nlohmann/json.hpp>

#include "supervisor/config/service_spec.hpp"

namespace corral::supervisor {

nlohmann::json spec_json(const config::ServiceSpec& spec);
// {"from","to","delivery","implicit","rate":{...},"queue":{...}}
nlohmann::json route_json(const config::RouteSpec& route);

}  // namespace corral::supervisor
