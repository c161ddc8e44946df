#pragma once
// Strict parsing of the units used in service files. Both return std::nullopt for anything that is not
// exactly a number followed by a known unit; the caller reports what was seen.
//   durations: "250ms", "5s", "1.5s", "2m", "1h" (a unit is required, "0" alone is not a duration)
//   sizes:     "4096" (bytes), "512B", "10kB", "10KB", "10MB", "1GB" (powers of 1000),
//              "512KiB", "512MiB", "2GiB", "1TiB", and "K", "M", "G", "T" (powers of 1024, as pm2/systemd)
#include <cstdint>
#include <optional>
#include <string_view>

#include "policies/clock.hpp"

namespace corral::config {

std::optional<policies::Duration> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace corral::config
