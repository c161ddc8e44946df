// Service files with the characters toml++ 3.3 cannot classify (toml_guard.hpp): valid files still load,
// invalid ones get an error at the character, and toml++ never reaches its undefined behaviour (the fuzz
// build, where toml++ is compiled with UBSan, checks the last part).
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "supervisor/config/toml_guard.hpp"
#include "tests/support/config_loading.hpp"

using corral::config::guard_toml_text;
using corral::config::load_config_text;
using corral::config::toml_whitespace_check_breaks_on;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::service;

TEST_CASE("the characters toml++ 3.3 cannot tell from whitespace") {
    // The three ranges, at their ends.
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u009f'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u00a0'));  // no-break space: whitespace to toml++
    CHECK(toml_whitespace_check_breaks_on(U'\u00a1'));
    CHECK(toml_whitespace_check_breaks_on(U'\u00e9'));  // é
    CHECK(toml_whitespace_check_breaks_on(U'\u0408'));  // Ј
    CHECK(toml_whitespace_check_breaks_on(U'\u0499'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u049a'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u2c5d'));
    CHECK(toml_whitespace_check_breaks_on(U'\u2c5e'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u3000'));  // ideographic space
    CHECK(toml_whitespace_check_breaks_on(U'\u3042'));        // あ
    CHECK(toml_whitespace_check_breaks_on(U'\u3057'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u3058'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\ufb25'));
    CHECK(toml_whitespace_check_breaks_on(U'\ufb26'));
    CHECK(toml_whitespace_check_breaks_on(U'\ufefe'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\ufeff'));  // byte order mark
    // Whitespace and everything else toml++ handles.
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'a'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u1680'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u2003'));
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\u20ac'));  // €
    CHECK_FALSE(toml_whitespace_check_breaks_on(U'\U0001f600'));
}

TEST_CASE("non-ASCII text in strings and comments loads as before") {
    const auto result = load_config_text(service("# café ☕ Ј あ\nenv = { GREETING = \"héllo\", NAME = 'Јован', "
                                                 "JA = \"\"\"あいう\"\"\", LIT = '''é\\\n é''' }  # é\n"),
                                         "t.toml");
    CHECK(errors_of(service("# café\nenv = { A = \"é\" }\n")) == Messages{});
    REQUIRE(result.config.has_value());
    const auto& env = result.config->services.at(0).env;
    CHECK(env.size() == 4);
    CHECK(env.at("LIT") == "\xc3\xa9\\\n \xc3\xa9");
}

TEST_CASE("a line-ending backslash before such a character loads and keeps the character") {
    const auto result = load_config_text(service("env = { A = \"\"\"\\\n    \xc3\xa9t\xc3\xa9\"\"\", "
                                                 "B = \"\"\"one \\\n\n  \t\xe3\x81\x82 two\"\"\" }\n"),
                                         "t.toml");
    CHECK(result.errors.empty());
    REQUIRE(result.config.has_value());
    const auto& env = result.config->services.at(0).env;
    REQUIRE(env.size() == 2);
    CHECK(env.at("A") == "\xc3\xa9t\xc3\xa9");
    CHECK(env.at("B") == "one \xe3\x81\x82 two");
    // toml++ issue #190, in a service file.
    CHECK(errors_of(service("env.S = \"\"\"\\\n\xc2\xa7\"\"\"\n")) == Messages{});
}

TEST_CASE("errors after a rewritten character point at the file as written") {
    // Column 11 in the file, 16 in the text toml++ parsed (where é became a six-character escape).
    CHECK(errors_of(service("env = { A = \"\"\"\\\n\xc3\xa9\"\"\", B = [1] }\n")) ==
          Messages{"t.toml:4:11: invalid value for services.api.env.B (expected a string, integer or boolean, got "
                   "array)"});
    CHECK(errors_of(service("env = { A = \"\"\"\\\n\xc3\xa9\"\"\" B = 1 }\n")) ==
          Messages{"t.toml:4:6: Error while parsing inline table: expected comma or closing '}', saw 'B'"});
}

TEST_CASE("such a character where TOML allows no character of its kind is an error at it") {
    CHECK(errors_of(service("instances = 2\xc3\xa9\n")) ==
          Messages{"t.toml:3:14: invalid character outside a string or comment (expected ASCII, got '\xc3\xa9' "
                   "U+00E9)"});
    CHECK(errors_of("e\xd0\x88s\"ryv# e5\xd0\x88s\"ry") ==
          Messages{"t.toml:1:2: invalid character outside a string or comment (expected ASCII, got '\xd0\x88' "
                   "U+0408)"});
    CHECK(errors_of(service("\xe3\x81\x82 = 1\n")) ==
          Messages{"t.toml:3:1: invalid character outside a string or comment (expected ASCII, got '\xe3\x81\x82' "
                   "U+3042)"});
    CHECK(errors_of(service("env = { A = \"\"\"x\"\"\"\"\xc3\xa9 }\n")) ==
          Messages{"t.toml:3:21: invalid character outside a string or comment (expected ASCII, got '\xc3\xa9' "
                   "U+00E9)"});
    // toml++ reads a bare value to its end before it parses it: the quotes in there start no string.
    CHECK(errors_of(service("instances = +1_\"\xc9\x97\"-1\n")) ==
          Messages{"t.toml:3:17: invalid character outside a string or comment (expected ASCII, got '\xc9\x97' "
                   "U+0257)"});
    CHECK(errors_of(service("instances = 1=\"\xc3\xa9\"\n")) ==
          Messages{"t.toml:3:16: invalid character outside a string or comment (expected ASCII, got '\xc3\xa9' "
                   "U+00E9)"});
    CHECK(errors_of(service("env = { A = 1979-05-27 07:32\"\xc3\xa9\" }\n")) ==
          Messages{"t.toml:3:30: invalid character outside a string or comment (expected ASCII, got '\xc3\xa9' "
                   "U+00E9)"});
    CHECK(errors_of(service("env = { A = \"\"\"\\\xc3\xa9\"\"\" }\n")) ==
          Messages{"t.toml:3:17: invalid escape sequence (expected \\b, \\t, \\n, \\f, \\r, \\\", \\\\, \\uXXXX, "
                   "\\UXXXXXXXX or a line-ending backslash, got '\\' followed by '\xc3\xa9' U+00E9)"});
    CHECK(errors_of(service("env = { A = \"\"\"\\  \xc3\xa9\n\"\"\" }\n")) ==
          Messages{"t.toml:3:19: invalid line-ending backslash (expected only spaces and tabs after it on its line, "
                   "got '\xc3\xa9' U+00E9)"});
}

TEST_CASE("strings in keys tables arrays and inline tables are told from bare values") {
    // Every é here is in a string or a comment: toml++ parses the files and the loader reports on them.
    CHECK(errors_of(service("env = { \"k\xc3\xa9\" = \"\xc3\xa9\", a.\"\xc3\xa9\" = 1 }\n"
                            "[services.api.logs]\n\"\xc3\xa9\" = 1\n")) ==
          Messages{"t.toml:3:9: invalid environment variable name in [services.api.env] (expected letters, digits and "
                   "'_', not starting with a digit, got \"k\xc3\xa9\")",
                   "t.toml:3:21: invalid value for services.api.env.a (expected a string, integer or boolean, got "
                   "table)",
                   "t.toml:5:1: unknown key \"\xc3\xa9\" in [services.api.logs] (expected one of: max_size, keep, "
                   "timestamps, format)"});
    CHECK(errors_of("[services.\"\xc3\xa9\".x]\nk = [1, [2, \"\xc3\xa9\"], { a = [\"\xc3\xa9\"] }, # \xc3\xa9\n  "
                    "\"\xc3\xa9\"]\n[[services.\"\xd0\x88\"]]\n") ==
          Messages{"t.toml:1:1: missing required key \"command\" in [services.\"\xc3\xa9\"] (expected an array of "
                   "strings such as [\"node\", \"server.js\"])",
                   "t.toml:1:11: invalid service name \"\xc3\xa9\" (expected only letters, digits, '_', '.' and '-', "
                   "got '\xc3\xa9')",
                   "t.toml:1:15: unknown key \"x\" in [services.\"\xc3\xa9\"] (expected one of: command, shell, cwd, "
                   "env, instances, restart, backoff, start_limit, stop, logs, memory, pids, cpu, node_diagnostics, node_agent, "
                   "ipc, parent, cooling, throttle, standby, listen, backlog, socket, listen_adopt, ready, ready_timeout, rollout, liveness)",
                   "t.toml:4:1: invalid value for services.\"\xd0\x88\" (expected a table such as "
                   "[services.\"\xd0\x88\"], got array)",
                   "t.toml:4:12: invalid service name \"\xd0\x88\" (expected only letters, digits, '_', '.' and '-', "
                   "got '\xd0\x88')"});
}

TEST_CASE("other non-ASCII characters are left to toml++") {
    CHECK(errors_of(service("instances = 2\xe2\x82\xac\n")) ==
          Messages{"t.toml:3:14: Error while parsing decimal integer: expected digit, saw '\xe2\x82\xac'"});
    const auto guard = guard_toml_text("a = 1\n");
    CHECK(guard.text() == "a = 1\n");
    CHECK_FALSE(guard.problem().has_value());
}
