#pragma once
// The two arguments of every command that may wait for its result.
#include <chrono>
#include <optional>
#include <string>

namespace corral::protocol {

// A command that may wait for its result ("wait", "timeout_ms"): with "wait": true the reply comes once
// what it asked for has happened (or failed), after progress events; "timeout_ms" bounds that wait and is
// taken only with "wait": true. Without "wait" (or with false) the reply comes at once, as it always has.
inline std::optional<std::string> wait_problem(const std::optional<bool>& wait,
                                               const std::optional<std::chrono::milliseconds>& timeout) {
    if (timeout && !wait.value_or(false)) return "\"timeout_ms\" is only taken with \"wait\": true";
    return std::nullopt;
}

}  // namespace corral::protocol
