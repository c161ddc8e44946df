// What the broker lets through to a Node receiver: exactly the texts JSON.parse takes (but invalid UTF-8),
// and what routing reads from them. Every case is checked against simdjson's path and the exact grammar.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/json_grammar.hpp"
#include "ipc/json_message.hpp"

using corral::ipc::check_json_grammar;
using corral::ipc::inspect_json_message;
using corral::ipc::is_internal_cmd;
using corral::ipc::JsonMessage;

namespace {

struct Case {
    std::string text;
    bool valid;
    bool internal = false;
    std::optional<std::string> to = std::nullopt;
};

void check_case(const Case& expected, const JsonMessage& got) {
    CHECK(got.valid == expected.valid);
    CHECK(got.internal == expected.internal);
    CHECK(got.to == expected.to);
    if (expected.valid) {
        CHECK(got.error.empty());
    } else {
        CHECK(got.error.starts_with("invalid JSON"));
    }
}

void check_cases(const std::vector<Case>& cases) {
    for (const auto& expected : cases) {
        const std::string text = expected.text.size() <= 200
                                     ? expected.text
                                     : expected.text.substr(0, 100) + "... (" + std::to_string(expected.text.size()) + " bytes)";
        CAPTURE(text);
        check_case(expected, inspect_json_message(expected.text));
        check_case(expected, check_json_grammar(expected.text));
    }
}

std::string nested(std::size_t depth, std::string_view open, std::string_view inner, std::string_view close) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += open;
    text += inner;
    for (std::size_t i = 0; i < depth; ++i) text += close;
    return text;
}

}  // namespace

TEST_CASE("json message: values of every type are valid") {
    check_cases({
        {"{}", true},
        {"[]", true},
        {"\"text\"", true},
        {"\"\"", true},
        {"0", true},
        {"-0", true},
        {"42", true},
        {"-12.5e-3", true},
        {"1E+2", true},
        {"true", true},
        {"false", true},
        {"null", true},
        {" \t\r\n{\"a\" : [1, {\"b\":null}, \"c\", true, false, -1.5]} \r\n\t", true},
        {"\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u0000 \\ud83d\\ude00\"", true},
        {"\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8\"", true},
        {"{\"a\":1,\"a\":2}", true},
        {"[[[[[[[[[[1]]]]]]]]]]", true},
    });
}

TEST_CASE("json message: $to is read from the top level only and only as a string") {
    check_cases({
        {"{\"$to\":\"writer\",\"body\":{\"x\":1}}", true, false, "writer"},
        {"{\"body\":1,\"$to\":\"\"}", true, false, ""},
        {"{\"$to\":\"w\\u00e9\\\"\"}", true, false, "w\xc3\xa9\""},
        {"{\"\\u0024to\":\"escaped key\"}", true, false, "escaped key"},
        {"{\"$to\":5}", true},
        {"{\"$to\":null}", true},
        {"{\"$to\":[\"writer\"]}", true},
        {"{\"$To\":\"writer\"}", true},
        {"{\"inner\":{\"$to\":\"writer\"}}", true},
        {"[{\"$to\":\"writer\"}]", true},
        {"\"$to\"", true},
        // The last of duplicate keys wins, as with JSON.parse.
        {"{\"$to\":\"a\",\"$to\":\"b\"}", true, false, "b"},
        {"{\"$to\":\"a\",\"$to\":1}", true},
        {"{\"$to\":1,\"$to\":\"a\"}", true, false, "a"},
    });
}

TEST_CASE("json message: internal is a top-level string cmd starting NODE_ and longer than that") {
    check_cases({
        {"{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\"}", true, true},
        {"{\"cmd\":\"NODE_CLUSTER\",\"$to\":\"w\"}", true, true, "w"},
        {"{\"cmd\":\"NODE_x\"}", true, true},
        {"{\"cmd\":\"NODE_\"}", true},  // not longer than the prefix: a user message for Node too
        {"{\"cmd\":\"NODE\"}", true},
        {"{\"cmd\":\"node_handle\"}", true},
        {"{\"cmd\":\" NODE_HANDLE\"}", true},
        {"{\"cmd\":\"restart\"}", true},
        {"{\"cmd\":1}", true},
        {"{\"cmd\":[\"NODE_HANDLE\"]}", true},
        {"{\"cmd\":{\"cmd\":\"NODE_HANDLE\"}}", true},
        {"{\"msg\":{\"cmd\":\"NODE_HANDLE\"}}", true},
        {"[{\"cmd\":\"NODE_HANDLE\"}]", true},
        {"\"NODE_HANDLE\"", true},
        {"{\"Cmd\":\"NODE_HANDLE\"}", true},
        // Escapes are what JSON.parse sees through.
        {"{\"\\u0063md\":\"\\u004eODE_HANDLE\"}", true, true},
        // Duplicates: the last wins.
        {"{\"cmd\":\"NODE_HANDLE\",\"cmd\":\"user\"}", true},
        {"{\"cmd\":\"user\",\"cmd\":\"NODE_HANDLE\"}", true, true},
        {"{\"cmd\":\"NODE_HANDLE\",\"cmd\":null}", true},
    });
    CHECK(is_internal_cmd("NODE_A"));
    CHECK_FALSE(is_internal_cmd("NODE_"));
    CHECK_FALSE(is_internal_cmd(""));
}

TEST_CASE("json message: what JSON.stringify writes but simdjson refuses still passes") {
    check_cases({
        {"100000000000000000000", true},                      // JSON.stringify(1e20)
        {"{\"mask\":18446744073709552000}", true},            // JSON.stringify(2 ** 64)
        {"[-9223372036854780000,123456789012345680000]", true},
        {"1e400", true},                                      // JSON.parse gives Infinity
        {"[-1e400,1e-400]", true},
        {"\"\\ud800\"", true},                                // a string cut inside a surrogate pair
        {"\"a\\udc00b\\ud83d\"", true},
        {"{\"$to\":\"w\\ud800\",\"n\":1e999}", true, false, "w\xed\xa0\x80"},
        {"{\"cmd\":\"NODE_\\udc00\",\"big\":100000000000000000000}", true, true},
        {"{\"cmd\":\"NODE_HANDLE\",\"n\":1e400,\"cmd\":\"user\"}", true},
        {"{\"$to\":\"a\",\"deep\":{\"$to\":\"b\",\"n\":1e400}}", true, false, "a"},
    });
}

TEST_CASE("json message: deep nesting is valid as far as JSON.parse goes and never crashes") {
    // JSON.stringify reaches ~4200 levels on Node 20's default stack; JSON.parse takes far more.
    check_cases({
        {nested(1000, "[", "1", "]"), true},
        {nested(1025, "[", "1", "]"), true},
        {nested(5000, "{\"a\":", "{\"cmd\":\"NODE_X\"}", "}"), true},
        {"{\"cmd\":\"NODE_X\",\"a\":" + nested(3000, "[", "", "]") + "}", true, true},
        {nested(200'000, "[", "", "]"), true},
        {nested(200'000, "[", "", "") , false},
        {nested(200'000, "[", "", "]") + "]", false},
        {nested(200'000, "{\"a\":", "", "}"), false},
    });
}

TEST_CASE("json message: broken texts are refused with a reason") {
    check_cases({
        // Truncated.
        {"{\"a\":1", false},
        {"{\"a\":", false},
        {"{\"a\"", false},
        {"[1,2", false},
        {"\"abc", false},
        {"\"abc\\", false},
        {"\"\\u12", false},
        {"tru", false},
        {"-", false},
        {"1.", false},
        {"1e", false},
        {"1e+", false},
        // Trailing garbage and two values on one line.
        {"{} x", false},
        {"{}}", false},
        {"[1]]", false},
        {"{} {}", false},
        {"1 2", false},
        {"\"a\"\"b\"", false},
        {"true false", false},
        {"truex", false},
        {"nullnull", false},
        {"{}//", false},
        // Not JSON.
        {"", false},
        {" \t\r", false},
        {"NaN", false},
        {"{\"a\":NaN}", false},
        {"Infinity", false},
        {"[-Infinity]", false},
        {"undefined", false},
        {"{'a':1}", false},
        {"{a:1}", false},
        {"{1:2}", false},
        {"{\"a\" 1}", false},
        {"{\"a\":1,}", false},
        {"[1,]", false},
        {"[,1]", false},
        {"01", false},
        {"-01", false},
        {"+1", false},
        {".5", false},
        {"0x10", false},
        {"1.e5", false},
        {"\"\\x41\"", false},
        {"\"\\U0041\"", false},
        {"\"\\u00g0\"", false},
        {"\"tab\there\"", false},
        {"\"line\nbreak\"", false},
        {"\xef\xbb\xbf{}", false},  // a byte order mark: JSON.parse throws on it
        // NUL bytes, inside and outside strings.
        {std::string("\0", 1), false},
        {std::string("{}\0", 3), false},
        {std::string("\0{}", 3), false},
        {std::string("\"a\0b\"", 5), false},
        {std::string("{\"a\":1\0}", 8), false},
        {std::string("1\0", 2), false},
        // Invalid UTF-8: stray continuation, overlong, encoded surrogate, past U+10FFFF, cut short.
        {"\"\x80\"", false},
        {"\"\xff\"", false},
        {"\"\xc0\xaf\"", false},
        {"\"\xe0\x80\xaf\"", false},
        {"\"\xed\xa0\x80\"", false},
        {"\"\xf4\x90\x80\x80\"", false},
        {"\"\xe2\x82\"", false},
        {"{\"\xe2\x82\":1}", false},
        {"\xc3\xa9", false},
        // Broken and also holding what only the exact grammar takes.
        {"[1e400,]", false},
        {"{\"a\":\"\\ud800\",\"b\":01}", false},
        {"[100000000000000000000 1]", false},
        {"\"\\ud800\\x\"", false},
    });
}

TEST_CASE("json message: errors say what simdjson saw - or where the exact grammar stopped") {
    CHECK(inspect_json_message("{\"a\":1").error ==
          "invalid JSON: The JSON document has an improper structure: missing or superfluous commas, braces, "
          "missing keys, etc.");
    CHECK(inspect_json_message("\"\xff\"").error == "invalid JSON: The input is not valid UTF-8");
    CHECK(inspect_json_message("[1e400,]").error == "invalid JSON at byte 7: expected a value");
    CHECK(inspect_json_message("{\"a\":\"\\ud800\",\"b\":01}").error ==
          "invalid JSON at byte 19: expected ',' or '}' after an object member");
}

TEST_CASE("json message: a reused parser does not see an earlier longer message") {
    // simdjson copies each payload into a buffer it keeps: what an earlier message left after the end of a
    // shorter one must not count.
    check_cases({
        {"[1,2,3,4,5,6,7,8,9]", true},
        {"[1,2", false},
        {"123456", true},
        {"1", true},
        {"{\"a\":\"bcdefgh\"}", true},
        {"{\"a\":\"b", false},
        {"tru", false},
        {"true", true},
    });
}

TEST_CASE("json message: a message past the kept parser's size is checked the same way") {
    std::string big = "{\"$to\":\"writer\",\"cmd\":\"NODE_BIG\",\"items\":[";
    while (big.size() < (3u << 20)) big += "{\"id\":12345,\"name\":\"an item of the list\"},";
    big.back() = ']';
    big += "}";
    check_cases({
        {big, true, true, "writer"},
        {big.substr(0, big.size() - 1), false},
        {big + "{}", false},
        {"{\"small\":true}", true},
    });
}

// A measurement, not a check: ./build/tests/corral_unit_tests -tc="json message: throughput*" --no-skip
TEST_CASE("json message: throughput of typical messages" * doctest::skip()) {
    // What JSON.stringify makes of a typical 1 KiB object: routing, nested records, numbers, strings.
    std::string typical = "{\"$to\":\"writer\",\"type\":\"append\",\"file\":\"logs/file-0042.log\",\"seq\":123456,"
                          "\"ts\":1795621309716,\"user\":{\"id\":98765,\"name\":\"Zo\xc3\xab M\xc3\xbcller\","
                          "\"roles\":[\"admin\",\"ops\"],\"active\":true,\"score\":0.8731},\"items\":[";
    for (int i = 0; typical.size() < 940; ++i) {
        typical += "{\"id\":" + std::to_string(i) + ",\"sku\":\"SKU-" + std::to_string(1000 + i) + "\",\"qty\":" +
                   std::to_string(i % 7) + ",\"price\":" + std::to_string(12 + i) + ".5,\"tags\":[\"a\",\"b\"],\"ok\":" +
                   (i % 2 == 0 ? "true" : "false") + "},";
    }
    typical.back() = ']';
    typical += "}";
    const std::string small = "{\"$to\":\"writer\",\"type\":\"tick\",\"seq\":123456,\"ok\":true,\"n\":1}";
    const std::string big_number = "{\"$to\":\"writer\",\"mask\":18446744073709552000,\"seq\":1}";
    for (const auto& [name, text] : {std::pair{"typical object", typical}, std::pair{"small object", small},
                                     std::pair{"exact-grammar fallback", big_number}}) {
        REQUIRE(inspect_json_message(text).valid);
        const auto start = std::chrono::steady_clock::now();
        std::size_t count = 0;
        std::size_t routed = 0;
        while (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
            for (int i = 0; i < 1000; ++i) routed += inspect_json_message(text).to.has_value();
            count += 1000;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%-24s %5zu bytes: %9.0f messages/s, %7.1f MB/s\n", name, text.size(), count / seconds,
                    count * text.size() / seconds / 1e6);
        CHECK(routed == count);
    }
}
