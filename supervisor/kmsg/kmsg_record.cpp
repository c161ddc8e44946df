#include "supervisor/kmsg/kmsg_record.hpp"

#include <charconv>

namespace corral::supervisor::kmsg {
namespace {

// The whole of `text` as a decimal number.
std::optional<std::uint64_t> whole_number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || text.empty() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Cuts the next ','-separated field off the front of `header`.
std::string_view next_field(std::string_view& header) {
    const auto comma = header.find(',');
    const std::string_view field = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    return field;
}

}  // namespace

std::optional<KmsgRecord> parse_kmsg_record(std::string_view raw) {
    const auto semicolon = raw.find(';');
    if (semicolon == std::string_view::npos) return std::nullopt;
    std::string_view header = raw.substr(0, semicolon);
    // The header never spans lines; a ';' past the first newline belongs to a continuation line.
    if (header.find('\n') != std::string_view::npos) return std::nullopt;

    const auto prio = whole_number(next_field(header));
    const auto seq = whole_number(next_field(header));
    const auto timestamp = whole_number(next_field(header));
    const std::string_view flags = next_field(header);
    if (!prio || !seq || !timestamp || flags.empty() || *prio > 1023) return std::nullopt;

    std::string_view message = raw.substr(semicolon + 1);
    message = message.substr(0, message.find('\n'));  // continuation lines follow the first newline

    KmsgRecord record;
    record.facility = static_cast<int>(*prio >> 3);
    record.level = static_cast<int>(*prio & 7);
    record.seq = *seq;
    record.timestamp_us = *timestamp;
    record.message = std::string(message);
    return record;
}

}  // namespace corral::supervisor::kmsg
