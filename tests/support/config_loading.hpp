#pragma once
// Loading service files in tests: the loader's errors as "FILE:LINE:COL: ..." lines, and loads that must
// succeed (their errors are shown when they do not).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "tests/support/doctest_strings.hpp"

namespace corral::test {

using Messages = std::vector<std::string>;

inline Messages messages(const config::ConfigErrors& errors) {
    Messages lines;
    for (const auto& error : errors) lines.push_back(error.to_string());
    return lines;
}

inline config::Config load_ok(const std::filesystem::path& file) {
    auto result = config::load_config_file(file);
    CHECK(messages(result.errors) == Messages{});
    REQUIRE(result.config.has_value());
    return std::move(*result.config);
}

// Loaded as /srv/app/corral.toml.
inline config::Config load_text_ok(std::string_view text) {
    auto result = config::load_config_text(text, "/srv/app/corral.toml");
    CHECK(messages(result.errors) == Messages{});
    REQUIRE(result.config.has_value());
    return std::move(*result.config);
}

// The errors of `text` loaded as t.toml (a file loads exactly when it has none).
inline Messages errors_of(std::string_view text) {
    const auto result = config::load_config_text(text, "t.toml");
    CHECK(result.config.has_value() == result.errors.empty());
    return messages(result.errors);
}

// A valid service to put beside the lines under test.
inline std::string service(std::string_view extra) {
    return "[services.api]\ncommand = [\"node\", \"server.js\"]\n" + std::string(extra);
}

}  // namespace corral::test
