#include "supervisor/config/units.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

namespace corral::config {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Splits "<digits>[.<digits>]<unit>" into its parts. Returns false when the number part is empty,
// signed, spaced or has an empty side around the '.'.
struct NumberParts {
    std::string_view integer;
    std::string_view fraction;  // empty when there is no '.'
    std::string_view unit;
};

bool split_number(std::string_view text, bool allow_fraction, NumberParts& parts) {
    std::size_t i = 0;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == 0) return false;
    parts.integer = text.substr(0, i);
    if (allow_fraction && i < text.size() && text[i] == '.') {
        const std::size_t start = ++i;
        while (i < text.size() && is_digit(text[i])) ++i;
        if (i == start) return false;
        parts.fraction = text.substr(start, i - start);
    }
    parts.unit = text.substr(i);
    return true;
}

// Parses decimal digits into a value no larger than `limit`.
std::optional<std::uint64_t> parse_digits(std::string_view digits, std::uint64_t limit) {
    std::uint64_t value = 0;
    for (const char c : digits) {
        if (__builtin_mul_overflow(value, 10u, &value)) return std::nullopt;
        if (__builtin_add_overflow(value, static_cast<std::uint64_t>(c - '0'), &value)) return std::nullopt;
        if (value > limit) return std::nullopt;
    }
    return value;
}

struct Unit {
    std::string_view name;
    std::uint64_t factor;
};

constexpr Unit kDurationUnits[] = {
    {"ms", 1},
    {"s", 1'000},
    {"m", 60'000},
    {"h", 3'600'000},
};

constexpr std::uint64_t kKiB = 1024;
constexpr Unit kSizeUnits[] = {
    {"", 1},
    {"B", 1},
    {"kB", 1'000},
    {"KB", 1'000},
    {"MB", 1'000'000},
    {"GB", 1'000'000'000},
    {"TB", 1'000'000'000'000},
    {"K", kKiB},
    {"KiB", kKiB},
    {"M", kKiB * kKiB},
    {"MiB", kKiB * kKiB},
    {"G", kKiB * kKiB * kKiB},
    {"GiB", kKiB * kKiB * kKiB},
    {"T", kKiB * kKiB * kKiB * kKiB},
    {"TiB", kKiB * kKiB * kKiB * kKiB},
};

template <std::size_t N>
std::optional<std::uint64_t> unit_factor(const Unit (&units)[N], std::string_view name) {
    for (const auto& unit : units) {
        if (unit.name == name) return unit.factor;
    }
    return std::nullopt;
}

}  // namespace

// A fraction is rounded to the nearest millisecond, halves up ("1.5ms" is 2ms, "0.0004s" is 0ms).
// Fraction digits past the 18th are ignored; they cannot change the result by a millisecond.
std::optional<policies::Duration> parse_duration(std::string_view text) {
    NumberParts parts;
    if (!split_number(text, true, parts)) return std::nullopt;
    const auto factor = unit_factor(kDurationUnits, parts.unit);
    if (!factor) return std::nullopt;

    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<policies::Duration::rep>::max());
    const auto whole = parse_digits(parts.integer, kMax);
    if (!whole) return std::nullopt;
    std::uint64_t ms = 0;
    if (__builtin_mul_overflow(*whole, *factor, &ms) || ms > kMax) return std::nullopt;

    if (!parts.fraction.empty()) {
        const std::string_view digits = parts.fraction.substr(0, 18);
        unsigned __int128 numerator = *parse_digits(digits, std::numeric_limits<std::uint64_t>::max());
        unsigned __int128 denominator = 1;
        for (std::size_t i = 0; i < digits.size(); ++i) denominator *= 10;
        numerator *= *factor;
        const auto rounded = static_cast<std::uint64_t>((numerator * 2 + denominator) / (denominator * 2));
        if (__builtin_add_overflow(ms, rounded, &ms) || ms > kMax) return std::nullopt;
    }
    return policies::Duration{static_cast<policies::Duration::rep>(ms)};
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    NumberParts parts;
    if (!split_number(text, false, parts)) return std::nullopt;
    const auto factor = unit_factor(kSizeUnits, parts.unit);
    if (!factor) return std::nullopt;
    const auto count = parse_digits(parts.integer, std::numeric_limits<std::uint64_t>::max());
    if (!count) return std::nullopt;
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(*count, *factor, &bytes)) return std::nullopt;
    return bytes;
}

std::optional<std::uint64_t> parse_percent(std::string_view text) {
    NumberParts parts;
    if (!split_number(text, false, parts) || parts.unit != "%") return std::nullopt;
    return parse_digits(parts.integer, std::numeric_limits<std::uint64_t>::max());
}

std::optional<double> parse_message_rate(std::string_view text) {
    NumberParts parts;
    if (!split_number(text, true, parts)) return std::nullopt;
    double seconds = 0;
    if (parts.unit == "/s") {
        seconds = 1;
    } else if (parts.unit == "/m") {
        seconds = 60;
    } else {
        return std::nullopt;
    }
    // The number is plain digits with an optional fraction: from_chars reads exactly that part.
    const std::string_view number = text.substr(0, text.size() - parts.unit.size());
    double count = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (error != std::errc() || end != number.data() + number.size()) return std::nullopt;
    const double rate = count / seconds;
    if (!std::isfinite(rate) || rate <= 0) return std::nullopt;
    return rate;
}

std::optional<std::uint64_t> parse_byte_rate(std::string_view text) {
    constexpr std::string_view kPerSecond = "/s";
    if (text.size() < kPerSecond.size() || text.substr(text.size() - kPerSecond.size()) != kPerSecond) {
        return std::nullopt;
    }
    const std::string_view size = text.substr(0, text.size() - kPerSecond.size());
    // parse_size takes a bare number as bytes; an empty one ("/s") is rejected by it.
    const auto bytes = parse_size(size);
    if (!bytes || *bytes == 0) return std::nullopt;
    return bytes;
}

}  // namespace corral::config
