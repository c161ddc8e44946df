#pragma once
// `status TARGET`: the daemon's status (DaemonControl::status_json) cut down to one service or instance:
// its instances, the routes from or to its service and its instances' channels. The daemon part stays.
#include <nlohmann/json.hpp>

#include "supervisor/protocol/target.hpp"

namespace corral::supervisor {

void keep_only(nlohmann::json& status, const protocol::Target& target);

}  // namespace corral::supervisor
