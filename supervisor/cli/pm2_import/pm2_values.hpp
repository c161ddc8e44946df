#pragma once
// pm2's own readings of ecosystem values (lib/tools/Config.js in pm2's repository), so that an imported
// value means what it meant under pm2.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace corral::pm2 {

// A string of arguments split as pm2 splits `args` and `node_args`: on whitespace, with "..." and '...'
// grouping (quotes removed), and key="a b" / key='a b' kept as one argument, quotes included.
std::vector<std::string> split_args(std::string_view text);

// `args`-like values: a string (split as above), an array of strings or numbers; nullopt for anything else.
std::optional<std::vector<std::string>> argument_list(const nlohmann::json& value);

// pm2's "stime": milliseconds as a number or numeric string, or "<N>h", "<N>m", "<N>s".
std::optional<std::chrono::milliseconds> time_value(const nlohmann::json& value);

// pm2's "sbyte": bytes as a number or numeric string, or "<N>K", "<N>M", "<N>G" (powers of 1024).
std::optional<std::uint64_t> size_value(const nlohmann::json& value);

// A whole number, from a number or a numeric string.
std::optional<std::int64_t> integer_value(const nlohmann::json& value);

// pm2 (through Node's spawn) turns every env value into a string; objects become JSON.
std::string env_text(const nlohmann::json& value);

// A value as the report quotes it: "true", "\"300M\"", "[...]".
std::string shown(const nlohmann::json& value);

// Whether `value` is the string `text`. (json == "text" builds a temporary json, which GCC 12 at -O3
// mistakes for an out-of-bounds access under -Werror=array-bounds.)
inline bool is_text(const nlohmann::json& value, std::string_view text) {
    return value.is_string() && value.get_ref<const std::string&>() == text;
}

}  // namespace corral::pm2
