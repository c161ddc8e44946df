#include "supervisor/config/secret_env.hpp"

#include <array>

namespace corral::config {

bool looks_secret(std::string_view name) {
    static constexpr std::array<std::string_view, 7> kWords{"KEY",        "TOKEN",  "SECRET", "PASSWORD",
                                                            "PASSWD",     "CREDENTIAL", "PRIVATE"};
    std::string upper(name);
    for (char& c : upper) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    for (const std::string_view word : kWords) {
        if (upper.find(word) != std::string::npos) return true;
    }
    return false;
}

std::map<std::string, std::string> masked_env(const std::map<std::string, std::string>& env) {
    std::map<std::string, std::string> shown = env;
    for (auto& [name, value] : shown) {
        if (!value.empty() && looks_secret(name)) value = kMaskedValue;
    }
    return shown;
}

}  // namespace corral::config
