#pragma once
// How the control protocol shows a request's values in its error messages: JSON-quoted, long strings cut,
// and the same sentence shapes everywhere ("wrong type for ...", "... must be ..."). Internal to
// supervisor/protocol/: the parser and the target reader use it; nothing outside sends these words itself.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace corral::protocol::detail {

// Longer strings from the request are cut in messages, so an error never echoes a megabyte back.
inline constexpr std::size_t kLongestQuote = 64;

// JSON text that never throws: invalid UTF-8 becomes U+FFFD.
std::string dump(const nlohmann::json& value);
// A string as JSON text: "\"name\"".
std::string quoted_name(std::string_view name);
// A string from the request as a message shows it: JSON-quoted, and cut (on a character boundary) when long.
std::string quote(std::string_view text);
// What a JSON value is, as the "got" part of a message: "\"text\"", "integer 5", "float 1.5",
// "boolean true", "null", "array", "object".
std::string describe(const nlohmann::json& value);
// `"name" must be <form> (got <value>)`, for a value of the right type that is not acceptable.
std::string bad_value(std::string_view name, std::string_view form, const nlohmann::json& value);
// `wrong type for "name" (expected <form>, got <value>)`.
std::string wrong_type(std::string_view name, std::string_view form, const nlohmann::json& value);
// `did you mean "x"?` when a known word is close, else `expected one of: a, b, c`.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> known);
// The value of an integer JSON number, when it is one and fits in 64 signed bits.
std::optional<std::int64_t> integer_of(const nlohmann::json& value);

}  // namespace corral::protocol::detail
