#pragma once
// One problem found in a service file, pointing at the place that causes it.
#include <string>
#include <vector>

namespace corral::config {

struct ConfigError {
    std::string file;
    unsigned line = 0;    // 1-based; 0 when the problem has no position (e.g. the file is unreadable)
    unsigned column = 0;  // 1-based
    std::string message;  // "<what is wrong> (expected ..., got ...)"

    // "FILE:LINE:COL: message", or "FILE: message" without a position.
    std::string to_string() const;
};

using ConfigErrors = std::vector<ConfigError>;

}  // namespace corral::config
