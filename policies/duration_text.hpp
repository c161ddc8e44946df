#pragma once
// Durations for people: "250ms", "3.2s", "4m05s", "2h10m", "3d04h".
#include <string>

#include "policies/clock.hpp"

namespace corral::policies {

std::string format_duration(Duration d);

}  // namespace corral::policies
