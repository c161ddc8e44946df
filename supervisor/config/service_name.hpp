#pragma once
// Service names end up in file names, cgroup names and CLI arguments (NAME#INDEX): letters, digits,
// '_', '.' and '-', 1 to 64 of them, not starting with '.'.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace corral::config {

inline constexpr std::size_t kMaxServiceNameLength = 64;

bool is_service_name_char(char c);

// nullopt for a valid name, else "(expected ..., got ...)".
std::optional<std::string> service_name_problem(std::string_view name);

}  // namespace corral::config
