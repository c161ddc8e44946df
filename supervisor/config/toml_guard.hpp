#pragma once
// Keeps service files away from a toml++ bug. toml++ up to 3.4 (Debian 12 ships 3.3.0) asks
// is_non_ascii_horizontal_whitespace() about the character after a key or value, about the characters
// between tokens, and about the first character after a line-ending backslash in a """multi-line""" string;
// for U+00A1..U+0499, U+2C5E..U+3057 and U+FB26..U+FEFE (but for the few whitespace among them) that
// function reaches __builtin_unreachable(): undefined behaviour (marzer/tomlplusplus#190, #295, fixed by
// #305). Found by fuzz/service_file_fuzzer.cpp.
//
// guard_toml_text scans the file as TOML's lexer does (strings, comments, escapes) before toml++ sees it:
//   - such a character outside strings and comments, or right after a '\' in a multi-line basic string,
//     is never valid TOML: it is reported as the file's one syntax error, and toml++ is not called;
//   - as the first character after a line-ending backslash it is valid; it is rewritten as the equivalent
//     \uXXXX escape, and error positions after it on its line are moved back (map_back).
// Characters inside other strings and comments never reach the function and are left alone.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::config {

struct TomlGuardProblem {
    unsigned line = 0;    // 1-based
    unsigned column = 0;  // 1-based, in characters as toml++ counts them
    std::string message;  // "invalid character outside a string or comment (expected ASCII, got 'é' U+00E9)"
};

class TomlGuard {
public:
    // The text to hand to toml++: the input itself, or the rewritten copy.
    std::string_view text() const { return rewritten_ ? std::string_view(*rewritten_) : original_; }
    const std::optional<TomlGuardProblem>& problem() const { return problem_; }
    // A position in text() -> the same place in the input.
    void map_back(unsigned& line, unsigned& column) const;

private:
    friend TomlGuard guard_toml_text(std::string_view text);

    struct Rewrite {
        unsigned line;
        unsigned column;  // of the rewritten character
        unsigned added;   // columns the escape has more than the character
    };

    std::string_view original_;
    std::optional<std::string> rewritten_;
    std::vector<Rewrite> rewrites_;  // in text order
    std::optional<TomlGuardProblem> problem_;
};

// The guard keeps a view of `text`, which must outlive it.
TomlGuard guard_toml_text(std::string_view text);

// Whether toml++ 3.3's is_non_ascii_horizontal_whitespace() has undefined behaviour for `c` (exposed for tests).
bool toml_whitespace_check_breaks_on(char32_t c);

}  // namespace corral::config
