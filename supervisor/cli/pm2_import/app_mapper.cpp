#include "supervisor/cli/pm2_import/app_mapper.hpp"

#include "supervisor/cli/pm2_import/pm2_values.hpp"

namespace corral::pm2 {

const nlohmann::json* AppMapper::take(std::initializer_list<std::string_view> keys) {
    const nlohmann::json* found = nullptr;
    for (const std::string_view key : keys) {
        const std::string name(key);
        const auto it = app_.find(name);
        if (it == app_.end()) continue;
        consumed_.insert(name);
        if (found == nullptr) found = &*it;
    }
    return found;
}

void AppMapper::approximate(std::string_view pm2_key, const std::string& corral_key, const std::string& text) {
    if (!corral_key.empty()) note(corral_key, text);
    result_.approximations.push_back({app_name_, std::string(pm2_key), text});
}

void AppMapper::note(const std::string& corral_key, const std::string& text) {
    service_.notes[corral_key].push_back(text);
}

void AppMapper::unmapped(std::string_view pm2_key, const std::string& what_to_do) {
    result_.unmapped.push_back({app_name_, std::string(pm2_key), what_to_do});
}

void AppMapper::invalid(std::string_view pm2_key, const nlohmann::json& value, std::string_view expected) {
    unmapped(pm2_key, "not imported: expected " + std::string(expected) + ", got " + shown(value));
}

void AppMapper::error(const std::string& text) { result_.errors.push_back("app " + app_name_ + ": " + text); }

}  // namespace corral::pm2
