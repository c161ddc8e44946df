#pragma once
// Lets doctest print the values of failed checks on lists of strings (one per line, quoted).
#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace doctest {

template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& lines) {
        std::string text = "{";
        for (const auto& line : lines) text += "\n  \"" + line + "\"";
        text += lines.empty() ? "}" : "\n}";
        return String(text.c_str());
    }
};

}  // namespace doctest
