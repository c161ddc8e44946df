#pragma once
// Strict parsing of the units used in service files. Each returns std::nullopt for anything that is not
// exactly a number followed by a known unit; the caller reports what was seen.
//   durations: "250ms", "5s", "1.5s", "2m", "1h" (a unit is required, "0" alone is not a duration);
//              a fraction is rounded to the nearest millisecond ("1.5ms" is 2ms, "0.4ms" is 0ms)
//   sizes:     "4096" (bytes), "512B", "10kB", "10KB", "10MB", "1GB", "1TB" (powers of 1000),
//              "512KiB", "512MiB", "2GiB", "1TiB", and "K", "M", "G", "T" (powers of 1024, as pm2/systemd);
//              whole numbers only, units are case-sensitive ("10mb" and "1.5MiB" are rejected)
//   percents:  "50%", "150%" (a whole number and '%'; "1.5%" and "50" are rejected)
//   message rates: "2000/s" (per second), "30/m" (per minute), "0.5/s" (decimals allowed); above 0
//   byte rates:    "<size>/s" with a size as above, "20MiB/s", "4096/s"; above 0
// None accepts a sign, spaces, an empty number or a value that does not fit (int64 ms, uint64 bytes).
#include <cstdint>
#include <optional>
#include <string_view>

#include "policies/clock.hpp"

namespace corral::config {

std::optional<policies::Duration> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
std::optional<std::uint64_t> parse_percent(std::string_view text);
// Messages per second ("30/m" is 0.5); never 0, always finite.
std::optional<double> parse_message_rate(std::string_view text);
// Bytes per second; never 0.
std::optional<std::uint64_t> parse_byte_rate(std::string_view text);

}  // namespace corral::config
