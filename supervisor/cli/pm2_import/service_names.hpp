#pragma once
// pm2 app names -> corral service names. pm2 takes any string ("API server", "web/1"); corral names become
// file and cgroup names (supervisor/config/service_name.hpp). Each character corral does not accept
// becomes '-', and a name taken twice gets a suffix.
#include <set>
#include <string>
#include <string_view>

namespace corral::pm2 {

// A valid corral name for `wanted` ("app" when nothing of it is left).
std::string sanitized_name(std::string_view wanted);

// The name pm2 gives an app without one: the script's file name without its extension.
std::string default_name(std::string_view script);

class NameBook {
public:
    // `name` itself (already valid) when free, else name-2, name-3, ...; remembered.
    std::string claim(const std::string& name);

private:
    std::set<std::string> taken_;
};

}  // namespace corral::pm2
