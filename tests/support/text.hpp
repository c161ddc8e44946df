#pragma once
// Fills "${NAME}" placeholders in test documents (TOML's inline tables make format strings unreadable).
#include <map>
#include <string>

namespace corral::test {

inline std::string subst(std::string text, const std::map<std::string, std::string>& values) {
    for (const auto& [name, value] : values) {
        const std::string key = "${" + name + "}";
        for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size())) {
            text.replace(pos, key.size(), value);
        }
    }
    return text;
}

}  // namespace corral::test
