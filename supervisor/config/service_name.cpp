#include "supervisor/config/service_name.hpp"

#include <algorithm>

#include "supervisor/config/toml_fields.hpp"

namespace corral::config {
namespace {

// One character of `text` at `at` as a message shows it: '/', 'é', '\n'.
std::string character_at(std::string_view text, std::size_t at) {
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = 1;
    if (lead >= 0xf0) length = 4;
    else if (lead >= 0xe0) length = 3;
    else if (lead >= 0xc0) length = 2;
    const std::string quoted = quote(text.substr(at, length));
    return "'" + quoted.substr(1, quoted.size() - 2) + "'";
}

}  // namespace

bool is_service_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

std::optional<std::string> service_name_problem(std::string_view name) {
    if (name.empty()) return "(expected 1 to 64 characters, got none)";
    if (name.size() > kMaxServiceNameLength) {
        return "(expected at most " + std::to_string(kMaxServiceNameLength) + " characters, got " +
               std::to_string(name.size()) + ")";
    }
    const auto bad = std::find_if_not(name.begin(), name.end(), is_service_name_char);
    if (bad != name.end()) {
        return "(expected only letters, digits, '_', '.' and '-', got " +
               character_at(name, static_cast<std::size_t>(bad - name.begin())) + ")";
    }
    if (name.front() == '.') return std::string("(expected a letter, digit, '_' or '-' first, got '.')");
    return std::nullopt;
}

}  // namespace corral::config
