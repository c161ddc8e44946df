#pragma once
// How an instance of a service is named: "api#0" where people read it (status, logs, the control
// protocol), "api-0" where it names a file or directory (logs, post-mortems, diagnostics).
#include <string>
#include <string_view>

namespace corral {

inline std::string instance_name(std::string_view service, unsigned index) {
    return std::string(service) + "#" + std::to_string(index);
}

inline std::string instance_file_name(std::string_view service, unsigned index) {
    return std::string(service) + "-" + std::to_string(index);
}

}  // namespace corral
