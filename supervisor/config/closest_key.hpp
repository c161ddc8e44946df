#pragma once
// "Did you mean ...?" for keys and enum values in service files.
//
// Compares case-insensitively and treats '-' and '_' as the same character, then picks the known word
// at the smallest optimal-string-alignment distance (Levenshtein plus swaps of adjacent characters).
// A suggestion is made only when that distance is at most max(1, unknown.size() / 3), so "restrat" ->
// "restart" and "instance" -> "instances", but "zzz" -> nothing. Ties go to the earlier known word.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace corral::config {

std::optional<std::string> closest_key(std::string_view unknown, std::span<const std::string_view> known);

// The distance used above, on the raw strings (exposed for tests).
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace corral::config
