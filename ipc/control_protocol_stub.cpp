// TEMPORARY: the two functions of control_protocol.hpp that the command-line client calls, so that it links
// before ipc/control_protocol.cpp exists. Delete this file when that one is merged.
#include <algorithm>
#include <cctype>

#include "ipc/control_protocol.hpp"

namespace corral::ipc {

std::string make_request(std::int64_t id, std::string_view cmd, const nlohmann::json& args) {
    return nlohmann::json{{"v", kProtocolVersion}, {"id", id}, {"cmd", cmd}, {"args", args}}.dump() + "\n";
}

std::optional<Target> parse_target(std::string_view text, std::string& error) {
    if (text == "all") return Target{};
    const auto hash = text.find('#');
    const std::string_view name = text.substr(0, hash);
    const bool name_ok = !name.empty() && name.size() <= 64 && name[0] != '.' &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
                         });
    if (!name_ok) {
        error = "\"" + std::string(text) + "\" is not a target (NAME, NAME#INDEX or all)";
        return std::nullopt;
    }
    Target target{std::string(name), std::nullopt};
    if (hash == std::string_view::npos) return target;
    const std::string_view digits = text.substr(hash + 1);
    if (digits.empty() || digits.size() > 4 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        error = "\"" + std::string(text) + "\" is not a target (NAME, NAME#INDEX or all)";
        return std::nullopt;
    }
    target.index = static_cast<unsigned>(std::stoul(std::string(digits)));
    return target;
}

}  // namespace corral::ipc
