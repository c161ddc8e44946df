#include "supervisor/protocol/messages.hpp"

#include <limits>

#include "supervisor/config/closest_key.hpp"

namespace corral::protocol::detail {

using nlohmann::json;

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string quoted_name(std::string_view name) { return dump(json(std::string(name))); }

std::string quote(std::string_view text) {
    if (text.size() <= kLongestQuote) return quoted_name(text);
    std::size_t cut = kLongestQuote;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    return quoted_name(text.substr(0, cut)) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string describe(const json& value) {
    switch (value.type()) {
        case json::value_t::string: return quote(value.get_ref<const std::string&>());
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return "integer " + dump(value);
        case json::value_t::number_float: return "float " + dump(value);
        case json::value_t::boolean: return value.get<bool>() ? "boolean true" : "boolean false";
        case json::value_t::null: return "null";
        case json::value_t::array: return value.empty() ? "empty array" : "array";
        case json::value_t::object: return value.empty() ? "empty object" : "object";
        default: return "nothing";
    }
}

std::string bad_value(std::string_view name, std::string_view form, const json& value) {
    return quoted_name(name) + " must be " + std::string(form) + " (got " + describe(value) + ")";
}

std::string wrong_type(std::string_view name, std::string_view form, const json& value) {
    return "wrong type for " + quoted_name(name) + " (expected " + std::string(form) + ", got " + describe(value) + ")";
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> known) {
    if (const auto suggestion = config::closest_key(word, known)) return "did you mean " + quoted_name(*suggestion) + "?";
    std::string list = "expected one of: ";
    for (std::size_t i = 0; i < known.size(); ++i) list += (i > 0 ? ", " : "") + std::string(known[i]);
    return list;
}

std::optional<std::int64_t> integer_of(const json& value) {
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return static_cast<std::int64_t>(number);
    }
    if (value.is_number_integer()) return value.get<std::int64_t>();
    return std::nullopt;
}

}  // namespace corral::protocol::detail
