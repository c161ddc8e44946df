#pragma once
// Every way corral writes a time, a duration, a size or a rate for people. Two families:
//   approximate, for status, logs and reasons:  "3.2s", "4m05s", "1.5KiB", "20.0MiB/s"
//   as written, for messages about a service file: "5s", "250ms", "4MiB", "500MB" (the largest unit that
//   writes the value as a whole number, so that a message repeats what the user wrote)
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral {

// "250ms", "3.2s", "4m05s", "2h10m", "3d04h".
std::string format_duration(std::chrono::milliseconds d);
// A period as people say it: whole seconds up to two minutes ("10s", "120s"), else whole hours or minutes
// ("2h", "5m"), else format_duration ("2m05s", "1.5s").
std::string format_period(std::chrono::milliseconds d);
// "5s", "250ms", "1h", "0s": the largest unit that writes `d` as a whole number.
std::string duration_as_written(std::chrono::milliseconds d);

// 512 -> "512B", 1536 -> "1.5KiB", 254913331 -> "243.1MiB".
std::string format_size(std::uint64_t bytes);
std::string format_size(const std::optional<std::uint64_t>& bytes);  // "-" when unknown
// "4MiB", "2GiB", "500MB", "4097 bytes", "0 bytes": the largest unit that writes `bytes` as a whole
// number, powers of 1024 first.
std::string size_as_written(std::uint64_t bytes);
// "512B/s", "20.0MiB/s" (binary) or "20.0MB/s" (decimal).
std::string format_byte_rate(double bytes_per_second, bool binary);

// `text` as it may appear in a log line: at most `max` bytes, cut ones marked with their full size
// ("node --eval aaaa... (2.0MiB)"), so that a huge command line never makes a huge log line.
std::string clip_for_log(std::string_view text, std::size_t max = 200);

// "2026-11-25T13:15:00.123Z" and "20261125T131500.123Z" (for file names).
std::string iso_utc(std::chrono::system_clock::time_point at);
std::string compact_utc(std::chrono::system_clock::time_point at);

}  // namespace corral
