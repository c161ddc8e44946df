#include "supervisor/cli/pm2_import/service_names.hpp"

#include <filesystem>

#include "supervisor/config/service_name.hpp"

namespace corral::pm2 {

std::string sanitized_name(std::string_view wanted) {
    std::string name;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        const char c = wanted[i];
        const bool continuation = (static_cast<unsigned char>(c) & 0xc0) == 0x80;  // one '-' per UTF-8 character
        if (config::is_service_name_char(c)) {
            name += c;
        } else if (!continuation && (name.empty() || name.back() != '-')) {
            name += '-';
        }
    }
    while (!name.empty() && (name.front() == '.' || name.front() == '-')) name.erase(0, 1);
    while (!name.empty() && name.back() == '-') name.pop_back();
    if (name.size() > config::kMaxServiceNameLength) name.resize(config::kMaxServiceNameLength);
    return name.empty() ? "app" : name;
}

std::string default_name(std::string_view script) {
    while (script.size() > 1 && script.back() == '/') script.remove_suffix(1);  // a directory: its own name
    const std::filesystem::path path{std::string(script)};
    const std::string stem = path.stem().string();
    return stem.empty() ? std::string(script) : stem;
}

std::string NameBook::claim(const std::string& name) {
    std::string candidate = name;
    for (int n = 2; taken_.count(candidate) > 0; ++n) {
        const std::string suffix = "-" + std::to_string(n);
        candidate = name.substr(0, config::kMaxServiceNameLength - suffix.size()) + suffix;
    }
    taken_.insert(candidate);
    return candidate;
}

}  // namespace corral::pm2
