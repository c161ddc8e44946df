#include "supervisor/config/toml_fields.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "base/text_format.hpp"
#include "supervisor/config/closest_key.hpp"
#include "supervisor/config/units.hpp"

namespace corral::config {
namespace {

bool is_bare_key(std::string_view key) {
    if (key.empty()) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// Shortest round-trip text; plain digits for everyday magnitudes (1000000, not 1e+06).
std::string number_text(double value) {
    char text[400];
    const double magnitude = std::fabs(value);
    const bool everyday = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e15);
    const auto result = everyday ? std::to_chars(text, text + sizeof text, value, std::chars_format::fixed)
                                 : std::to_chars(text, text + sizeof text, value);
    return std::string(text, result.ptr);
}

// As TOML writes a float: 2.0 must not read as the integer 2.
std::string float_text(double value) {
    std::string written = number_text(value);
    if (std::isfinite(value) && written.find_first_of(".e") == std::string::npos) written += ".0";
    return written;
}

template <typename T>
std::string streamed(const T& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

constexpr std::string_view kDurationForm = "a number with a unit ms, s, m or h, such as \"5s\" or \"250ms\"";
constexpr std::string_view kSizeForm =
    "a whole number with a unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\"";

}  // namespace

void Diagnostics::error(const toml::source_position& where, std::string message) {
    errors_.push_back(ConfigError{file_, where.line, where.column, std::move(message)});
}

ConfigErrors Diagnostics::take_sorted() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    return std::move(errors_);
}

std::string quote(std::string_view text) {
    std::string quoted = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': quoted += "\\\""; break;
            case '\\': quoted += "\\\\"; break;
            case '\n': quoted += "\\n"; break;
            case '\t': quoted += "\\t"; break;
            case '\r': quoted += "\\r"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    char escape[8];
                    std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(c));
                    quoted += escape;
                } else {
                    quoted += c;
                }
        }
    }
    quoted += '"';
    return quoted;
}

std::string describe(const toml::node& value) {
    switch (value.type()) {
        case toml::node_type::string: return quote(value.as_string()->get());
        case toml::node_type::integer: return "integer " + std::to_string(value.as_integer()->get());
        case toml::node_type::floating_point: return "float " + float_text(value.as_floating_point()->get());
        case toml::node_type::boolean: return value.as_boolean()->get() ? "boolean true" : "boolean false";
        case toml::node_type::date: return "date " + streamed(value.as_date()->get());
        case toml::node_type::time: return "time " + streamed(value.as_time()->get());
        case toml::node_type::date_time: return "date-time " + streamed(value.as_date_time()->get());
        case toml::node_type::array: return value.as_array()->empty() ? "empty array" : "array";
        case toml::node_type::table: return "table";
        case toml::node_type::none: break;
    }
    return "nothing";
}

std::string key_path(std::string_view parent, std::string_view key) {
    std::string path(parent);
    if (!path.empty()) path += '.';
    path += is_bare_key(key) ? std::string(key) : quote(key);
    return path;
}

std::string invalid(std::string_view what, std::string_view path, std::string_view expected,
                    const toml::node& value) {
    std::string message = "invalid ";
    message += what;
    message += " for ";
    message += path;
    message += " (expected ";
    message += expected;
    message += ", got ";
    message += describe(value);
    message += ')';
    return message;
}

std::string with_suggestion(std::string message, const std::optional<std::string>& suggestion) {
    if (suggestion && !message.empty() && message.back() == ')') {
        message.pop_back();
        message += "; did you mean " + quote(*suggestion) + "?)";
    }
    return message;
}

TableReader::TableReader(Diagnostics& diagnostics, const toml::table& table, std::string path,
                         std::span<const std::string_view> known)
    : diagnostics_(diagnostics), table_(table), path_(std::move(path)), known_(known) {}

std::string TableReader::where() const { return path_.empty() ? "at the top level" : "in [" + path_ + "]"; }

const toml::node* TableReader::take(std::string_view key) {
    const toml::node* value = table_.get(key);
    if (value != nullptr) consumed_.emplace(key);
    return value;
}

Field TableReader::read_bool(std::string_view key, bool& out) {
    const toml::node* value = take(key);
    if (value == nullptr) return Field::absent;
    if (const auto* boolean = value->as_boolean()) {
        out = boolean->get();
        return Field::valid;
    }
    diagnostics_.error(*value, invalid("value", path_of(key), "true or false", *value));
    return Field::invalid;
}

Field TableReader::read_integer(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out) {
    const toml::node* value = take(key);
    if (value == nullptr) return Field::absent;
    if (const auto* integer = value->as_integer(); integer != nullptr && integer->get() >= min && integer->get() <= max) {
        out = integer->get();
        return Field::valid;
    }
    const std::string expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    diagnostics_.error(*value, invalid("value", path_of(key), expected, *value));
    return Field::invalid;
}

Field TableReader::read_number(std::string_view key, double min, double max, double& out) {
    const toml::node* value = take(key);
    if (value == nullptr) return Field::absent;
    std::optional<double> number;
    if (const auto* integer = value->as_integer()) number = static_cast<double>(integer->get());
    if (const auto* floating = value->as_floating_point()) number = floating->get();
    if (number && *number >= min && *number <= max) {
        out = *number;
        return Field::valid;
    }
    const std::string expected = "a number from " + number_text(min) + " to " + number_text(max);
    diagnostics_.error(*value, invalid("value", path_of(key), expected, *value));
    return Field::invalid;
}

Field TableReader::read_string(std::string_view key, std::string_view expected, std::string& out) {
    const toml::node* value = take(key);
    if (value == nullptr) return Field::absent;
    if (const auto* text = value->as_string(); text != nullptr && !text->get().empty()) {
        out = text->get();
        return Field::valid;
    }
    diagnostics_.error(*value, invalid("value", path_of(key), expected, *value));
    return Field::invalid;
}

Field TableReader::read_duration(std::string_view key, policies::Duration min, policies::Duration max,
                                 policies::Duration& out) {
    const toml::node* value = take(key);
    if (value == nullptr) return Field::absent;
    const auto* text = value->as_string();
    if (text == nullptr) {
        diagnostics_.error(*value, invalid("duration", path_of(key),
                                           "a string with a unit such as \"5s\" or \"250ms\"", *value));
        return Field::invalid;
    }
    const auto duration = parse_duration(text->get());
    if (!duration) {
        diagnostics_.error(*value, invalid("duration", path_of(key), kDurationForm, *value));
        return Field::invalid;
    }
    if (*duration < min || *duration > max) {
        std::string expected = "at most " + duration_as_written(max);
        if (min.count() > 0) expected = "at least " + duration_as_written(min) + " and " + expected;
        diagnostics_.error(*value, invalid("duration", path_of(key), expected, *value));
        return Field::invalid;
    }
    out = *duration;
    return Field::valid;
}

Field TableReader::read_size(std::string_view key, std::uint64_t min, std::uint64_t& out) {
    return read_size(key, min, std::numeric_limits<std::uint64_t>::max(), out);
}

Field TableReader::read_size(std::string_view key, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
    const toml::node* value = take(key);
    if (value == nullptr) return Field::absent;
    std::optional<std::uint64_t> bytes;
    if (const auto* integer = value->as_integer()) {
        if (integer->get() >= 0) bytes = static_cast<std::uint64_t>(integer->get());
    } else if (const auto* text = value->as_string()) {
        bytes = parse_size(text->get());
        if (!bytes) {
            diagnostics_.error(*value, invalid("size", path_of(key), kSizeForm, *value));
            return Field::invalid;
        }
    } else {
        diagnostics_.error(*value, invalid("size", path_of(key),
                                           "a number of bytes or a string such as \"10MiB\"", *value));
        return Field::invalid;
    }
    if (!bytes || *bytes < min || *bytes > max) {
        const std::string expected = max == std::numeric_limits<std::uint64_t>::max()
                                         ? "at least " + std::to_string(min) + " bytes"
                                         : "at least " + size_as_written(min) + " and at most " + size_as_written(max);
        diagnostics_.error(*value, invalid("size", path_of(key), expected, *value));
        return Field::invalid;
    }
    out = *bytes;
    return Field::valid;
}

const toml::table* TableReader::read_table(std::string_view key, std::string_view example) {
    const toml::node* value = take(key);
    if (value == nullptr) return nullptr;
    if (const auto* table = value->as_table()) return table;
    diagnostics_.error(*value, invalid("value", path_of(key), example, *value));
    return nullptr;
}

void TableReader::finish() {
    for (const auto& [key, value] : table_) {
        if (consumed_.contains(key.str())) continue;
        std::string message = "unknown key " + quote(key.str()) + " " + where() + " (";
        if (const auto suggestion = closest_key(key.str(), known_)) {
            message += "did you mean " + quote(*suggestion) + "?)";
        } else {
            message += "expected one of: ";
            for (std::size_t i = 0; i < known_.size(); ++i) {
                if (i > 0) message += ", ";
                message += known_[i];
            }
            message += ')';
        }
        diagnostics_.error(key.source().begin, std::move(message));
    }
}

}  // namespace corral::config
