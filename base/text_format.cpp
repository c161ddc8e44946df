#include "base/text_format.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <string_view>
#include <utility>

namespace corral {
namespace {

std::string utc(std::chrono::system_clock::time_point at, const char* format) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[64];
    std::strftime(text, sizeof text, format, &tm);
    char result[80];
    std::snprintf(result, sizeof result, "%s.%03dZ", text, static_cast<int>(millis));
    return result;
}

}  // namespace

std::string format_duration(std::chrono::milliseconds d) {
    const long long ms = d.count();
    char text[48];
    if (ms < 1000) {
        std::snprintf(text, sizeof text, "%lldms", ms);
    } else if (ms < 60'000) {
        std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(ms) / 1000.0);
    } else if (ms < 3'600'000) {
        std::snprintf(text, sizeof text, "%lldm%02llds", ms / 60'000, ms % 60'000 / 1000);
    } else if (ms < 86'400'000) {
        std::snprintf(text, sizeof text, "%lldh%02lldm", ms / 3'600'000, ms % 3'600'000 / 60'000);
    } else {
        std::snprintf(text, sizeof text, "%lldd%02lldh", ms / 86'400'000, ms % 86'400'000 / 3'600'000);
    }
    return text;
}

std::string format_period(std::chrono::milliseconds d) {
    const long long ms = d.count();
    if (ms > 0 && ms % 1000 == 0) {
        if (ms <= 120'000) return std::to_string(ms / 1000) + "s";
        if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
        if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    }
    return format_duration(d);
}

std::string duration_as_written(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms == 0) return "0s";
    if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1'000 == 0) return std::to_string(ms / 1'000) + "s";
    return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t bytes) {
    static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) return std::to_string(bytes) + "B";
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f%s", value, kUnits[unit]);
    return text;
}

std::string format_size(const std::optional<std::uint64_t>& bytes) { return bytes ? format_size(*bytes) : "-"; }

std::string size_as_written(std::uint64_t bytes) {
    if (bytes == 0) return "0 bytes";
    constexpr std::pair<std::uint64_t, std::string_view> kUnits[] = {
        {1ull << 40, "TiB"}, {1ull << 30, "GiB"}, {1ull << 20, "MiB"}, {1ull << 10, "KiB"},
        {1'000'000'000'000, "TB"}, {1'000'000'000, "GB"}, {1'000'000, "MB"}, {1'000, "kB"},
    };
    for (const auto& [factor, unit] : kUnits) {
        if (bytes % factor == 0) return std::to_string(bytes / factor) + std::string(unit);
    }
    return std::to_string(bytes) + " bytes";
}

std::string format_byte_rate(double bytes_per_second, bool binary) {
    const double base = binary ? 1024.0 : 1000.0;
    static constexpr const char* kDecimal[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
    static constexpr const char* kBinary[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
    const char* const* units = binary ? kBinary : kDecimal;
    double value = bytes_per_second;
    int unit = 0;
    while (std::fabs(value) >= base && unit < 4) {
        value /= base;
        ++unit;
    }
    char text[64];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f%s" : "%.1f%s", value, units[unit]);
    return text;
}

std::string iso_utc(std::chrono::system_clock::time_point at) { return utc(at, "%Y-%m-%dT%H:%M:%S"); }
std::string compact_utc(std::chrono::system_clock::time_point at) { return utc(at, "%Y%m%dT%H%M%S"); }

std::string clip_for_log(std::string_view text, std::size_t max) {
    if (text.size() <= max) return std::string(text);
    return std::string(text.substr(0, max)) + "... (" + format_size(text.size()) + ")";
}

}  // namespace corral
