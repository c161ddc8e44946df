#include "ipc/json_grammar.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace corral::ipc {
namespace {

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// UTF-8 of a code point; a lone surrogate is written the same way (WTF-8), as it has no UTF-8.
void append_code_point(std::string& out, std::uint32_t point) {
    if (point < 0x80) {
        out += static_cast<char>(point);
    } else if (point < 0x800) {
        out += static_cast<char>(0xC0 | point >> 6);
        out += static_cast<char>(0x80 | (point & 0x3F));
    } else if (point < 0x10000) {
        out += static_cast<char>(0xE0 | point >> 12);
        out += static_cast<char>(0x80 | (point >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | point >> 18);
        out += static_cast<char>(0x80 | (point >> 12 & 0x3F));
        out += static_cast<char>(0x80 | (point >> 6 & 0x3F));
        out += static_cast<char>(0x80 | (point & 0x3F));
    }
}

// The length of the well-formed UTF-8 sequence (Unicode table 3-7: no overlong forms, no surrogates,
// nothing past U+10FFFF) that starts with a byte >= 0x80 at text[at], or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) -> unsigned {
        return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0x100;  // 0x100: in no range
    };
    const auto in = [](unsigned value, unsigned low, unsigned high) { return value >= low && value <= high; };
    const unsigned first = byte(0);
    if (in(first, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
    if (in(first, 0xE0, 0xEF)) {
        const unsigned low = first == 0xE0 ? 0xA0 : 0x80;
        const unsigned high = first == 0xED ? 0x9F : 0xBF;
        return in(byte(1), low, high) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (in(first, 0xF0, 0xF4)) {
        const unsigned low = first == 0xF0 ? 0x90 : 0x80;
        const unsigned high = first == 0xF4 ? 0x8F : 0xBF;
        return in(byte(1), low, high) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

class Walker {
public:
    explicit Walker(std::string_view text) : text_(text) {}
    JsonMessage run();

private:
    enum class Field { none, cmd, to };  // the value being read is that of a top-level "cmd" or "$to"
    enum class Next { value, value_or_close, key, key_or_close, comma_or_close };

    // One step of the walk, from what `next_` says comes next; false on invalid text (error_ says why).
    bool step();
    bool after_value();
    Next close_or(char closer, Next otherwise);
    bool key();
    bool comma_or_close();
    JsonMessage verdict();
    JsonMessage refusal();

    bool value(Field field);
    bool string(std::string* out);
    bool unicode_escape(std::string* out);
    bool number();
    bool digits();
    bool literal(std::string_view word);
    bool fail(const char* what);
    void skip_whitespace();
    bool at_end() const { return pos_ >= text_.size(); }
    unsigned char peek() const { return static_cast<unsigned char>(text_[pos_]); }
    bool next_is(char c) const { return !at_end() && peek() == static_cast<unsigned char>(c); }
    void close() {
        open_.pop_back();
        ++pos_;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    Next next_ = Next::value;
    Field field_ = Field::none;  // of the value that comes next
    std::string open_;  // '{' or '[' per open container, innermost last
    std::string error_;
    std::string key_;   // the last top-level key, unescaped
    std::optional<std::string> cmd_;
    std::optional<std::string> to_;
};

bool Walker::fail(const char* what) {
    error_ = "invalid JSON at byte " + std::to_string(pos_) + ": " + what;
    return false;
}

void Walker::skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
}

JsonMessage Walker::run() {
    for (;;) {
        skip_whitespace();
        if (next_ == Next::comma_or_close && open_.empty()) {  // the root value is complete
            if (at_end()) return verdict();
            fail("unexpected text after the JSON value");
            return refusal();
        }
        if (!step()) return refusal();
    }
}

bool Walker::step() {
    switch (next_) {
    case Next::value:
        return after_value();
    case Next::value_or_close:
        next_ = close_or(']', Next::value);
        return true;
    case Next::key_or_close:
        next_ = close_or('}', Next::key);
        return true;
    case Next::key:
        return key();
    case Next::comma_or_close:
        break;
    }
    return comma_or_close();
}

// A value, then what may follow it: inside a container just opened, its first member or its end.
bool Walker::after_value() {
    const std::size_t depth = open_.size();
    if (!value(field_)) return false;
    field_ = Field::none;
    next_ = open_.size() == depth ? Next::comma_or_close
            : open_.back() == '{' ? Next::key_or_close
                                  : Next::value_or_close;
    return true;
}

// Right after '[' or '{': the container may end at once.
Walker::Next Walker::close_or(char closer, Next otherwise) {
    if (!next_is(closer)) return otherwise;
    close();
    return Next::comma_or_close;
}

// An object key and its ':'.
bool Walker::key() {
    if (!next_is('"')) return fail("expected a string key");
    // A key at depth 1 belongs to the root, an object (arrays have no keys).
    const bool top = open_.size() == 1;
    key_.clear();
    if (!string(top ? &key_ : nullptr)) return false;
    skip_whitespace();
    if (!next_is(':')) return fail("expected ':' after an object key");
    ++pos_;
    field_ = !top ? Field::none : key_ == "cmd" ? Field::cmd : key_ == "$to" ? Field::to : Field::none;
    next_ = Next::value;
    return true;
}

// After a member or an element: the next one, or the end of its container.
bool Walker::comma_or_close() {
    if (next_is(',')) {
        ++pos_;
        next_ = open_.back() == '{' ? Next::key : Next::value;
        return true;
    }
    if (next_is(open_.back() == '{' ? '}' : ']')) {
        close();
        return true;
    }
    return fail(at_end() ? "unexpected end of text in an unclosed array or object"
                : open_.back() == '{' ? "expected ',' or '}' after an object member"
                                      : "expected ',' or ']' after an array element");
}

// A valid text, with the routing fields read on the way.
JsonMessage Walker::verdict() {
    JsonMessage result;
    result.valid = true;
    result.internal = cmd_ && is_internal_cmd(*cmd_);
    result.to = std::move(to_);
    return result;
}

JsonMessage Walker::refusal() {
    JsonMessage result;
    result.error = std::move(error_);
    return result;
}

// A value; a container is only opened (pushed on open_).
bool Walker::value(Field field) {
    if (at_end()) return fail("unexpected end of text: expected a value");
    std::optional<std::string>* target = field == Field::cmd ? &cmd_ : field == Field::to ? &to_ : nullptr;
    if (target != nullptr) target->reset();  // the last member of that name wins, whatever its type
    switch (peek()) {
    case '{':
    case '[':
        open_ += static_cast<char>(peek());
        ++pos_;
        return true;
    case '"':
        return string(target != nullptr ? &target->emplace() : nullptr);
    case 't':
        return literal("true");
    case 'f':
        return literal("false");
    case 'n':
        return literal("null");
    default:
        if (peek() == '-' || is_digit(peek())) return number();
        return fail("expected a value");
    }
}

bool Walker::literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("expected a value");
    pos_ += word.size();
    return true;
}

bool Walker::digits() {
    if (at_end() || !is_digit(peek())) return false;
    while (!at_end() && is_digit(peek())) ++pos_;
    return true;
}

// Any magnitude: JSON.parse reads 1e400 as Infinity and 100000000000000000000 as 1e20.
bool Walker::number() {
    if (next_is('-')) ++pos_;
    if (next_is('0')) {
        ++pos_;
    } else if (!digits()) {
        return fail("expected a digit");
    }
    if (next_is('.')) {
        ++pos_;
        if (!digits()) return fail("expected a digit after the decimal point");
    }
    if (next_is('e') || next_is('E')) {
        ++pos_;
        if (next_is('+') || next_is('-')) ++pos_;
        if (!digits()) return fail("expected a digit in the exponent");
    }
    return true;
}

// A string from its opening quote; unescaped into *out unless out is null.
bool Walker::string(std::string* out) {
    ++pos_;
    for (;;) {
        if (at_end()) return fail("unexpected end of text in a string");
        const unsigned char c = peek();
        if (c == '"') {
            ++pos_;
            return true;
        }
        if (c == '\\') {
            ++pos_;
            if (at_end()) return fail("unexpected end of text in a string");
            const char escaped = static_cast<char>(peek());
            char plain = 0;
            switch (escaped) {
            case '"': case '\\': case '/': plain = escaped; break;
            case 'b': plain = '\b'; break;
            case 'f': plain = '\f'; break;
            case 'n': plain = '\n'; break;
            case 'r': plain = '\r'; break;
            case 't': plain = '\t'; break;
            case 'u':
                if (!unicode_escape(out)) return false;
                continue;
            default:
                return fail("unknown escape in a string");
            }
            ++pos_;
            if (out != nullptr) *out += plain;
            continue;
        }
        if (c < 0x20) return fail("control character in a string (it must be escaped)");
        const std::size_t length = c < 0x80 ? 1 : utf8_sequence(text_, pos_);
        if (length == 0) return fail("invalid UTF-8");
        if (out != nullptr) out->append(text_.substr(pos_, length));
        pos_ += length;
    }
}

// At the 'u' of \uXXXX. A high surrogate followed by an escaped low one makes one code point; any other
// surrogate stands alone, as JSON.parse lets it.
bool Walker::unicode_escape(std::string* out) {
    const auto unit_at = [&](std::size_t at) -> long {
        if (at + 4 > text_.size()) return -1;
        long unit = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            const int digit = hex_value(static_cast<unsigned char>(text_[at + i]));
            if (digit < 0) return -1;
            unit = unit << 4 | digit;
        }
        return unit;
    };
    const long unit = unit_at(pos_ + 1);
    if (unit < 0) return fail("expected four hexadecimal digits after \\u");
    pos_ += 5;
    if (out == nullptr) return true;
    std::uint32_t point = static_cast<std::uint32_t>(unit);
    if (point >= 0xD800 && point <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
        const long low = unit_at(pos_ + 2);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            point = 0x10000 + ((point - 0xD800) << 10) + (static_cast<std::uint32_t>(low) - 0xDC00);
            pos_ += 6;
        }
    }
    append_code_point(*out, point);
    return true;
}

}  // namespace

JsonMessage check_json_grammar(std::string_view text) { return Walker(text).run(); }

}  // namespace corral::ipc
