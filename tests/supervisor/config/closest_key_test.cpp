#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include "supervisor/config/closest_key.hpp"

using corral::config::closest_key;
using corral::config::edit_distance;

namespace {

constexpr std::string_view kServiceKeys[] = {"command", "shell",   "cwd",         "env",  "instances",
                                             "restart", "backoff", "start_limit", "stop", "logs"};

std::optional<std::string> suggest(std::string_view unknown) { return closest_key(unknown, kServiceKeys); }

}  // namespace

TEST_CASE("edit_distance counts insertions - deletions - substitutions and adjacent swaps") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("abc", "") == 3);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("restart", "restart") == 0);
    CHECK(edit_distance("restrat", "restart") == 1);  // one swap, not two substitutions
    CHECK(edit_distance("comand", "command") == 1);
    CHECK(edit_distance("instance", "instances") == 1);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("ca", "abc") == 3);  // optimal string alignment: no edits inside a swapped pair
}

TEST_CASE("closest_key suggests a near known key") {
    CHECK(suggest("restrat") == "restart");
    CHECK(suggest("comand") == "command");
    CHECK(suggest("commands") == "command");
    CHECK(suggest("instance") == "instances");
    CHECK(suggest("enviroment") == std::nullopt);
    CHECK(suggest("envs") == "env");
    CHECK(suggest("stpo") == "stop");
    CHECK(suggest("log") == "logs");
    CHECK(suggest("backof") == "backoff");
    CHECK(suggest("start_limti") == "start_limit");
}

TEST_CASE("closest_key ignores case and confuses '-' with '_'") {
    CHECK(suggest("Command") == "command");
    CHECK(suggest("RESTART") == "restart");
    CHECK(suggest("start-limit") == "start_limit");
    CHECK(suggest("Start-Limit") == "start_limit");
    constexpr std::string_view modes[] = {"always", "on-failure", "never"};
    CHECK(closest_key("on_failure", modes) == "on-failure");
    CHECK(closest_key("onfailure", modes) == "on-failure");
    CHECK(closest_key("Always", modes) == "always");
}

TEST_CASE("closest_key stays quiet when nothing is close") {
    CHECK(suggest("zzz") == std::nullopt);
    CHECK(suggest("memory") == std::nullopt);
    CHECK(suggest("pids") == std::nullopt);
    CHECK(suggest("cpu") == std::nullopt);
    CHECK(suggest("ipc") == std::nullopt);
    CHECK(suggest("routes") == std::nullopt);
    CHECK(suggest("cooling") == std::nullopt);
    CHECK(suggest("") == std::nullopt);
    CHECK(closest_key("restart", {}) == std::nullopt);
}

TEST_CASE("closest_key prefers the smallest distance - then the first known key") {
    constexpr std::string_view known[] = {"max", "man", "mix"};
    CHECK(closest_key("mix", known) == "mix");
    CHECK(closest_key("mbx", known) == "max");
}
