#pragma once
// Typed reading of toml++ tables for the service-file loader, with the message style of corral:
//   FILE:LINE:COL: invalid <what> for <dotted.key.path> (expected <what is accepted>, got <what is there>)
//
// A TableReader wraps one table. Every key read through it is marked as consumed; finish() reports each
// key that nobody consumed as unknown, with a suggestion from the table's known keys. Readers never
// throw and never stop at the first problem: they record an error and leave the output untouched, so
// the caller keeps its default and goes on checking the rest of the file.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <span>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "policies/clock.hpp"
#include "supervisor/config/closest_key.hpp"
#include "supervisor/config/config_error.hpp"

namespace corral::config {

// The errors of one document, named as the caller named it.
class Diagnostics {
public:
    explicit Diagnostics(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }
    void error(const toml::source_position& where, std::string message);
    void error(const toml::node& where, std::string message) { error(where.source().begin, std::move(message)); }
    bool empty() const { return errors_.empty(); }
    // In file order (position-less errors first); errors at the same place keep the order they were found.
    ConfigErrors take_sorted();

private:
    std::string file_;
    ConfigErrors errors_;
};

// `"text"` with TOML escapes for quotes, backslashes and control characters.
std::string quote(std::string_view text);
// What a value is, as the "got" part of a message: "\"text\"", "integer 5", "float 1.5", "boolean true",
// "date 2024-01-31", "array", "empty array", "table".
std::string describe(const toml::node& value);
// `parent.key`, with the key quoted when it is not a bare TOML key: services."api.v2".command.
std::string key_path(std::string_view parent, std::string_view key);
// "invalid <what> for <path> (expected <expected>, got <describe(value)>)".
std::string invalid(std::string_view what, std::string_view path, std::string_view expected,
                    const toml::node& value);
// "invalid ... (expected ..., got ...)" -> "invalid ... (expected ..., got ...; did you mean "x"?)".
std::string with_suggestion(std::string message, const std::optional<std::string>& suggestion);

enum class Field { absent, valid, invalid };

class TableReader {
public:
    // `path` is the table's dotted path ("" for the document root); `known` lists the keys this table
    // accepts, in the order they are documented, for suggestions and for "expected one of".
    TableReader(Diagnostics& diagnostics, const toml::table& table, std::string path,
                std::span<const std::string_view> known);

    const toml::table& table() const { return table_; }
    const std::string& path() const { return path_; }
    std::string path_of(std::string_view key) const { return key_path(path_, key); }
    // "in [services.api]", or "at the top level" for the root.
    std::string where() const;

    // The value of `key` (nullptr when absent), now consumed.
    const toml::node* take(std::string_view key);

    Field read_bool(std::string_view key, bool& out);
    Field read_integer(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out);
    template <typename T>
    Field read_integer(std::string_view key, std::int64_t min, std::int64_t max, T& out) {
        std::int64_t value = 0;
        const Field field = read_integer(key, min, max, value);
        if (field == Field::valid) out = static_cast<T>(value);
        return field;
    }
    // An integer or a float within [min, max].
    Field read_number(std::string_view key, double min, double max, double& out);
    // A non-empty string; `expected` describes it ("a directory path such as \".corral\"").
    Field read_string(std::string_view key, std::string_view expected, std::string& out);
    // A string such as "5s" within [min, max].
    Field read_duration(std::string_view key, policies::Duration min, policies::Duration max,
                        policies::Duration& out);
    // An integer number of bytes or a string such as "10MiB", at least `min`.
    Field read_size(std::string_view key, std::uint64_t min, std::uint64_t& out);
    // The same within [min, max]; the range is reported as "at least 4MiB and at most 1GiB".
    Field read_size(std::string_view key, std::uint64_t min, std::uint64_t max, std::uint64_t& out);
    // A sub-table (inline or [header]); nullptr when absent or not a table (then an error names `example`).
    const toml::table* read_table(std::string_view key, std::string_view example);

    // Reports every key that was not taken: `unknown key "restrat" in [services.api] (did you mean
    // "restart"?)`, or `(expected one of: ...)` when nothing is close.
    void finish();

private:
    Diagnostics& diagnostics_;
    const toml::table& table_;
    std::string path_;
    std::span<const std::string_view> known_;
    std::set<std::string, std::less<>> consumed_;
};

// One of `names` (a string), stored as the matching one of `values`; anything else is reported with the
// choices and a suggestion: (expected one of "spill", "block", got "spil"; did you mean "spill"?).
template <typename T, std::size_t N>
Field read_choice(Diagnostics& diagnostics, TableReader& reader, std::string_view key,
                  const std::string_view (&names)[N], const T (&values)[N], T& out) {
    const toml::node* value = reader.take(key);
    if (value == nullptr) return Field::absent;
    const auto* text = value->as_string();
    for (std::size_t i = 0; text != nullptr && i < N; ++i) {
        if (text->get() == names[i]) {
            out = values[i];
            return Field::valid;
        }
    }
    std::string expected = "one of ";
    for (std::size_t i = 0; i < N; ++i) expected += (i > 0 ? ", " : "") + quote(names[i]);
    diagnostics.error(*value, with_suggestion(invalid("value", reader.path_of(key), expected, *value),
                                              text ? closest_key(text->get(), names) : std::nullopt));
    return Field::invalid;
}

}  // namespace corral::config
