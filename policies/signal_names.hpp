#pragma once
// Signal numbers <-> names ("SIGTERM", "TERM" and "15" are all accepted by signal_from_name).
#include <optional>
#include <string>
#include <string_view>

namespace corral::policies {

std::string signal_name(int signal);  // "SIGTERM"; "signal 42" for numbers without a name
std::optional<int> signal_from_name(std::string_view name);

}  // namespace corral::policies
