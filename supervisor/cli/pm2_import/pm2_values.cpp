#include "supervisor/cli/pm2_import/pm2_values.hpp"

#include <cmath>
#include <regex>

namespace corral::pm2 {
namespace {

std::optional<double> number_from(const nlohmann::json& value) {
    if (value.is_number()) return value.get<double>();
    if (!value.is_string()) return std::nullopt;
    const std::string& text = value.get_ref<const std::string&>();
    static const std::regex numeric(R"(\s*[0-9]+(\.[0-9]+)?\s*)");
    if (!std::regex_match(text, numeric)) return std::nullopt;
    return std::stod(text);
}

// "<N><unit>" with one of `units` (a character each) scaled by the matching factor.
std::optional<double> with_unit(const nlohmann::json& value, std::string_view units, const double* factors) {
    if (const auto plain = number_from(value)) return plain;
    if (!value.is_string()) return std::nullopt;
    const std::string& text = value.get_ref<const std::string&>();
    static const std::regex suffixed(R"([0-9]+[A-Za-z])");
    if (!std::regex_match(text, suffixed)) return std::nullopt;
    const auto unit = units.find(text.back());
    if (unit == std::string_view::npos) return std::nullopt;
    return std::stod(text.substr(0, text.size() - 1)) * factors[unit];
}

}  // namespace

std::vector<std::string> split_args(std::string_view text) {
    // pm2's expression, unchanged (ECMAScript, as in pm2).
    static const std::regex token(R"re([^\s"'=]+="[^"]*"|[^\s"'=]+='[^']*'|"([^"]*)"|'([^']*)'|\S+)re");
    std::vector<std::string> out;
    const std::string subject(text);
    for (auto it = std::sregex_iterator(subject.begin(), subject.end(), token); it != std::sregex_iterator(); ++it) {
        std::string arg = it->str();
        const bool quoted = arg.size() >= 2 && (arg.front() == '"' || arg.front() == '\'') && arg.back() == arg.front();
        if (quoted) arg = arg.substr(1, arg.size() - 2);
        if (arg.find_first_not_of(" \t\r\n\f\v") != std::string::npos) out.push_back(std::move(arg));
    }
    return out;
}

std::optional<std::vector<std::string>> argument_list(const nlohmann::json& value) {
    if (value.is_string()) return split_args(value.get_ref<const std::string&>());
    if (!value.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& element : value) {
        if (element.is_string()) out.push_back(element.get<std::string>());
        else if (element.is_number()) out.push_back(element.dump());
        else return std::nullopt;
    }
    return out;
}

std::optional<std::chrono::milliseconds> time_value(const nlohmann::json& value) {
    static const double factors[] = {3'600'000.0, 60'000.0, 1'000.0};
    const auto ms = with_unit(value, "hms", factors);
    if (!ms || *ms < 0 || *ms > 1e15) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(*ms)));
}

std::optional<std::uint64_t> size_value(const nlohmann::json& value) {
    static const double factors[] = {1024.0, 1024.0 * 1024, 1024.0 * 1024 * 1024};
    const auto count = with_unit(value, "KMG", factors);
    if (!count || *count < 0 || *count > 1e18) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(*count));
}

std::optional<std::int64_t> integer_value(const nlohmann::json& value) {
    const auto number = number_from(value);
    if (!number || std::abs(*number) > 1e15) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(*number));
}

std::string env_text(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "null";
    return value.dump();
}

std::string shown(const nlohmann::json& value) {
    std::string text = value.dump();
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return text;
}

}  // namespace corral::pm2
