#include "supervisor/daemon/status_filter.hpp"

#include <string>

namespace corral::supervisor {

namespace {

using nlohmann::json;

// Keeps the items of status[key] that `keep` accepts.
template <typename Keep>
void filter(json& status, const char* key, Keep&& keep) {
    const auto list = status.find(key);
    if (list == status.end() || !list->is_array()) return;
    json kept = json::array();
    for (auto& item : *list) {
        if (item.is_object() && keep(item)) kept.push_back(std::move(item));
    }
    *list = std::move(kept);
}

std::string text(const json& item, const char* key) {
    const auto found = item.find(key);
    return found != item.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

void keep_only(json& status, const protocol::Target& target) {
    if (target.all() || !status.is_object()) return;
    filter(status, "instances", [&](const json& instance) {
        if (text(instance, "service") != target.service) return false;
        const auto index = instance.find("index");
        return !target.index || (index != instance.end() && index->is_number_unsigned() &&
                                 index->get<unsigned>() == *target.index);
    });
    filter(status, "routes", [&](const json& route) {
        return text(route, "from") == target.service || text(route, "to") == target.service;
    });
    const std::string name = protocol::target_text(target);
    filter(status, "channels", [&](const json& channel) {
        const std::string instance = text(channel, "instance");
        return target.index ? instance == name : instance.starts_with(target.service + "#");
    });
}

}  // namespace corral::supervisor
