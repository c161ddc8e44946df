#include "supervisor/config/toml_guard.hpp"

#include <cstdint>
#include <cstdio>

namespace corral::config {
namespace {

struct Char {
    char32_t code;
    std::size_t size;  // bytes
};

// The character at `at`; nullopt at the end and at bytes that are not UTF-8 (toml++ stops there with an
// error of its own before it looks at anything further).
std::optional<Char> decode(std::string_view text, std::size_t at) {
    if (at >= text.size()) return std::nullopt;
    const auto lead = static_cast<unsigned char>(text[at]);
    if (lead < 0x80) return Char{lead, 1};
    std::size_t size = 0;
    char32_t code = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        size = 2;
        code = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        size = 3;
        code = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        size = 4;
        code = lead & 0x07;
    } else {
        return std::nullopt;
    }
    if (text.size() - at < size) return std::nullopt;
    for (std::size_t i = 1; i < size; ++i) {
        const auto next = static_cast<unsigned char>(text[at + i]);
        if ((next & 0xc0) != 0x80) return std::nullopt;
        code = (code << 6) | (next & 0x3f);
    }
    return Char{code, size};
}

// toml++'s non-ASCII horizontal whitespace, which it skips after a line-ending backslash.
bool is_non_ascii_horizontal_whitespace(char32_t c) {
    return c == 0xa0 || c == 0x1680 || c == 0x180e || (c >= 0x2000 && c <= 0x200b) || c == 0x202f ||
           (c >= 0x205f && c <= 0x2060) || c == 0x3000 || c == 0xfeff;
}

// "'é' U+00E9"
std::string shown(std::string_view text, std::size_t at, const Char& c) {
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c.code));
    return "'" + std::string(text.substr(at, c.size)) + "' " + code;
}

class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {
        if (text_.substr(0, 3) == "\xef\xbb\xbf") at_ = 3;  // toml++ skips a byte order mark too
    }

    std::optional<Char> peek() const { return decode(text_, at_); }
    bool at(char c) const { return at_ < text_.size() && text_[at_] == c; }
    void next(const Char& c) {
        at_ += c.size;
        if (c.code == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
    }
    // The number of `quote` characters in a row from here.
    std::size_t run_of(char quote) const {
        std::size_t n = 0;
        while (at_ + n < text_.size() && text_[at_ + n] == quote) ++n;
        return n;
    }
    void skip_ascii(std::size_t n) {
        at_ += n;
        column_ += static_cast<unsigned>(n);
    }

    std::size_t offset() const { return at_; }
    unsigned line() const { return line_; }
    unsigned column() const { return column_; }

private:
    std::string_view text_;
    std::size_t at_ = 0;
    unsigned line_ = 1;
    unsigned column_ = 1;
};

enum class State { normal, comment, basic, literal, multi_line_basic, multi_line_literal };

class Guard {
public:
    explicit Guard(std::string_view text) : text_(text), scan_(text) {}

    void run() {
        while (!problem_) {
            const auto c = scan_.peek();
            if (!c) return;
            if (!step(*c)) return;
        }
    }

    std::optional<TomlGuardProblem> problem_;
    std::string rewritten_;
    std::size_t copied_ = 0;
    struct Rewrite {
        unsigned line, column, added;
    };
    std::vector<Rewrite> rewrites_;

private:
    void fail(std::string message) { problem_ = TomlGuardProblem{scan_.line(), scan_.column(), std::move(message)}; }

    // Ends a """ or ''' string at a run of three to five quotes (up to two of them belong to the string).
    void quotes(char quote) {
        const std::size_t run = scan_.run_of(quote);
        if (run >= 3) {
            scan_.skip_ascii(run > 5 ? 5 : run);
            state_ = State::normal;
        } else {
            scan_.skip_ascii(run);
        }
    }

    bool is_value_terminator(char32_t c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ']' || c == '}' || c == ',' || c == '#';
    }

    bool reject_outside(const Char& c) {
        fail("invalid character outside a string or comment (expected ASCII, got " + shown(text_, scan_.offset(), c) +
             ")");
        return false;
    }

    // Outside strings and comments. toml++ reads a bare value (number, date, boolean...) up to the next
    // whitespace, ']', '}', ',' or '#' before it looks at what it holds, so a quote in there starts no
    // string: what follows it is looked at too. Keys, tables and arrays are followed only as far as it
    // takes to tell where a value begins.
    bool outside(const Char& c) {
        const bool after_space_in_value = value_ended_by_space_;
        value_ended_by_space_ = false;
        if (in_value_) {
            if (!is_value_terminator(c.code)) return within_value(c);
            in_value_ = false;
            value_ended_by_space_ = c.code == ' ';
        } else if (after_space_in_value && c.code >= '0' && c.code <= '9') {
            in_value_ = true;  // "1979-05-27 07:32:00": toml++ reads on past the space
            scan_.next(c);
            return true;
        }
        return between_tokens(c);
    }

    // A character of a bare value.
    bool within_value(const Char& c) {
        if (toml_whitespace_check_breaks_on(c.code)) return reject_outside(c);
        scan_.next(c);
        return true;
    }

    // Between keys and values: what starts a comment, a string or a value, and the structure around them.
    bool between_tokens(const Char& c) {
        const bool top_level = nesting_.empty();
        switch (c.code) {
            case '#':
                state_ = State::comment;
                break;
            case '"':
            case '\'':
                if (open_string(static_cast<char>(c.code))) return true;
                break;
            case '\n':
                if (top_level) expect_key_ = true;
                break;
            case '=':
                expect_key_ = false;
                break;
            case '{':
                nesting_.push_back('{');
                expect_key_ = true;
                break;
            case '[':
                if (!(top_level && expect_key_)) {  // else a [table] or [[array of tables]] header
                    nesting_.push_back('[');
                    expect_key_ = false;
                }
                break;
            case ']':
            case '}':
                if (!top_level && nesting_.back() == (c.code == ']' ? '[' : '{')) {
                    nesting_.pop_back();
                    expect_key_ = false;
                }
                break;
            case ',':
                expect_key_ = !top_level && nesting_.back() == '{';
                break;
            case ' ':
            case '\t':
            case '\r':
                break;
            default:
                if (toml_whitespace_check_breaks_on(c.code)) return reject_outside(c);
                if (!expect_key_) in_value_ = true;
        }
        scan_.next(c);
        return true;
    }

    // At an opening quote. True when it opened a multi-line string, whose three quotes are skipped
    // already; else the one quote is the caller's to skip.
    bool open_string(char quote) {
        if (scan_.run_of(quote) >= 3) {
            scan_.skip_ascii(3);
            state_ = quote == '"' ? State::multi_line_basic : State::multi_line_literal;
            return true;
        }
        state_ = quote == '"' ? State::basic : State::literal;
        return false;
    }

    // false: stop looking (toml++ stops at an error of its own before anything that matters).
    bool step(const Char& c) {
        switch (state_) {
            case State::normal:
                return outside(c);
            case State::comment:
                if (c.code == '\n') {
                    state_ = State::normal;  // the line break counts as one outside the comment
                    return true;
                }
                scan_.next(c);
                return true;
            case State::basic:
                if (c.code == '\\') {
                    scan_.next(c);
                    const auto escaped = scan_.peek();
                    if (escaped && escaped->code != '\n') scan_.next(*escaped);
                    return true;
                }
                if (c.code == '"' || c.code == '\n') state_ = State::normal;
                scan_.next(c);
                return true;
            case State::literal:
                if (c.code == '\'' || c.code == '\n') state_ = State::normal;
                scan_.next(c);
                return true;
            case State::multi_line_literal:
                if (c.code == '\'') {
                    quotes('\'');
                } else {
                    scan_.next(c);
                }
                return true;
            case State::multi_line_basic:
                if (c.code == '"') {
                    quotes('"');
                    return true;
                }
                scan_.next(c);
                if (c.code == '\\') return escape();
                return true;
        }
        return true;
    }

    // After a '\' in a multi-line basic string.
    bool escape() {
        auto c = scan_.peek();
        if (!c) return false;
        if (toml_whitespace_check_breaks_on(c->code)) {
            fail("invalid escape sequence (expected \\b, \\t, \\n, \\f, \\r, \\\", \\\\, \\uXXXX, \\UXXXXXXXX or a "
                 "line-ending backslash, got '\\' followed by " +
                 shown(text_, scan_.offset(), *c) + ")");
            return false;
        }
        const bool line_ending = c->code == ' ' || c->code == '\t' || c->code == '\n' || c->code == '\r';
        if (!line_ending) {
            // Whitespace toml++ rejects after a '\' (it stops there), or an ordinary escape.
            if (c->code == 0x0b || c->code == 0x0c || is_non_ascii_horizontal_whitespace(c->code)) return false;
            scan_.next(*c);
            return true;
        }
        // A line-ending backslash: spaces and tabs up to the end of the line...
        while (c && (c->code == ' ' || c->code == '\t')) {
            scan_.next(*c);
            c = scan_.peek();
        }
        if (!c) return false;
        if (toml_whitespace_check_breaks_on(c->code)) {
            fail("invalid line-ending backslash (expected only spaces and tabs after it on its line, got " +
                 shown(text_, scan_.offset(), *c) + ")");
            return false;
        }
        if (c->code != '\n' && c->code != '\r') return false;  // toml++ reports the backslash
        // ...then every line break and blank up to the first character of the string's text.
        for (;;) {
            c = scan_.peek();
            if (!c) return false;
            if (c->code == ' ' || c->code == '\t' || c->code == '\n' || c->code == '\r' ||
                is_non_ascii_horizontal_whitespace(c->code)) {
                scan_.next(*c);
                continue;
            }
            if (toml_whitespace_check_breaks_on(c->code)) rewrite(*c);
            return true;
        }
    }

    // The same character as a \uXXXX escape, which toml++ reads without asking whether it is whitespace.
    void rewrite(const Char& c) {
        char escape[8];
        std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(c.code));
        const std::size_t at = scan_.offset();
        rewritten_.append(text_.substr(copied_, at - copied_));
        rewritten_ += escape;
        copied_ = at + c.size;
        unsigned earlier = 0;  // columns added before it on the same line
        for (const auto& r : rewrites_) {
            if (r.line == scan_.line()) earlier += r.added;
        }
        rewrites_.push_back(Rewrite{scan_.line(), scan_.column() + earlier, 5});
        scan_.next(c);
    }

    std::string_view text_;
    Scanner scan_;
    State state_ = State::normal;
    std::vector<char> nesting_;  // the '[' of arrays and '{' of inline tables that are open
    bool expect_key_ = true;     // keys come next (else a value)
    bool in_value_ = false;      // within a bare value
    bool value_ended_by_space_ = false;
};

}  // namespace

bool toml_whitespace_check_breaks_on(char32_t c) {
    // The code of toml::impl::is_non_ascii_horizontal_whitespace() in toml++ 3.3.0, with the
    // __builtin_unreachable() of its switch turned into "true".
    if (c < 0xa0 || c > 0xfeff) return false;
    const auto child_index = (static_cast<std::uint64_t>(c) - 0xa0u) / 0x3fau;
    if ((std::uint64_t{1} << child_index) & 0x7FFFFFFFFFFFF75Eull) return false;
    if (c == 0xa0 || c == 0x3000 || c == 0xfeff) return false;
    return child_index != 0x05 && child_index != 0x07;
}

void TomlGuard::map_back(unsigned& line, unsigned& column) const {
    // Right to left, so that the columns of the rewrites further left still hold.
    for (auto r = rewrites_.rbegin(); r != rewrites_.rend(); ++r) {
        if (r->line != line || column <= r->column) continue;
        column = column > r->column + r->added ? column - r->added : r->column;
    }
}

TomlGuard guard_toml_text(std::string_view text) {
    Guard guard(text);
    guard.run();
    TomlGuard result;
    result.original_ = text;
    result.problem_ = std::move(guard.problem_);
    if (!guard.rewrites_.empty()) {
        guard.rewritten_.append(text.substr(guard.copied_));
        result.rewritten_ = std::move(guard.rewritten_);
        for (const auto& r : guard.rewrites_) result.rewrites_.push_back(TomlGuard::Rewrite{r.line, r.column, r.added});
    }
    return result;
}

}  // namespace corral::config
