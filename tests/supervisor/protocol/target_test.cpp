// Targets of the control protocol: "all", a service, or one instance, and why anything else is not one.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "supervisor/protocol/target.hpp"
#include "tests/support/doctest_strings.hpp"

using corral::protocol::parse_target;
using corral::protocol::Target;
using corral::protocol::target_text;

TEST_CASE("parse_target - all a service or one instance") {
    std::string error = "stale";
    auto target = parse_target("all", error);
    REQUIRE(target.has_value());
    CHECK(target->service.empty());
    CHECK_FALSE(target->index.has_value());
    CHECK(error.empty());

    target = parse_target("api", error);
    REQUIRE(target.has_value());
    CHECK(target->service == "api");
    CHECK_FALSE(target->index.has_value());

    target = parse_target("api.v2#0", error);
    REQUIRE(target.has_value());
    CHECK(target->service == "api.v2");
    CHECK(target->index == 0u);

    target = parse_target("w_1-x#4294967295", error);
    REQUIRE(target.has_value());
    CHECK(target->service == "w_1-x");
    CHECK(target->index == 4294967295u);

    target = parse_target("all#2", error);  // a service may be called "all"; only "all" alone means all
    REQUIRE(target.has_value());
    CHECK(target->service == "all");
    CHECK(target->index == 2u);

    target = parse_target(std::string(64, 'n'), error);
    REQUIRE(target.has_value());
}

TEST_CASE("parse_target - what is not a target and why") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", R"(invalid service name "" in target "" (expected 1 to 64 characters, got none))"},
        {"api#", R"(invalid instance index in target "api#" (expected a number after '#', got nothing))"},
        {"api#x", R"(invalid instance index in target "api#x" (expected a number after '#', got "x"))"},
        {"api#-1", R"(invalid instance index in target "api#-1" (expected a number after '#', got "-1"))"},
        {"api#+1", R"(invalid instance index in target "api#+1" (expected a number after '#', got "+1"))"},
        {"api# 1", R"(invalid instance index in target "api# 1" (expected a number after '#', got " 1"))"},
        {"api#1 ", R"(invalid instance index in target "api#1 " (expected a number after '#', got "1 "))"},
        {"api#0#1", R"(invalid instance index in target "api#0#1" (expected a number after '#', got "0#1"))"},
        {"api#4294967296",
         R"(invalid instance index in target "api#4294967296" (expected a number from 0 to 4294967295, got "4294967296"))"},
        {"#1", R"(invalid service name "" in target "#1" (expected 1 to 64 characters, got none))"},
        {"a/b", R"(invalid service name "a/b" in target "a/b" (expected only letters, digits, '_', '.' and '-', got '/'))"},
        {"a b#0",
         R"(invalid service name "a b" in target "a b#0" (expected only letters, digits, '_', '.' and '-', got ' '))"},
        {".api", R"(invalid service name ".api" in target ".api" (expected a letter, digit, '_' or '-' first, got '.'))"},
        {"ALL ", R"(invalid service name "ALL " in target "ALL " (expected only letters, digits, '_', '.' and '-', got ' '))"},
        {std::string(65, 'n'),
         "invalid service name \"" + std::string(64, 'n') + "\"... (65 bytes) in target \"" + std::string(64, 'n') +
             "\"... (65 bytes) (expected at most 64 characters, got 65)"},
        {"\xff#1", "invalid service name \"\xef\xbf\xbd\" in target \"\xef\xbf\xbd#1\" (expected only letters, digits, "
                   "'_', '.' and '-', got '\xef\xbf\xbd')"},
    };
    for (const auto& target_case : cases) {
        const auto& [text, message] = target_case;
        CAPTURE(target_case.first);
        std::string error;
        CHECK_FALSE(parse_target(text, error).has_value());
        CHECK(error == message);
    }
}

TEST_CASE("target_text - the text parse_target reads back") {
    for (const std::string text : {"all", "api", "api#0", "all#2", "w_1-x#4294967295"}) {
        std::string error;
        const auto target = parse_target(text, error);
        REQUIRE(target.has_value());
        CHECK(target_text(*target) == text);
    }
}
