// The control protocol's request parser: arguments (bad_args), and lines that are too large, too deep, or not
// text. The error messages are what a script author reading the socket sees.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/protocol/control_protocol.hpp"
#include "tests/supervisor/protocol/request_outcome.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral::protocol;
using namespace corral::protocol::test;
using nlohmann::json;

namespace {

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("bad_args - unknown argument names") {
    check_all({
        {request("events", R"({"verbose":true})"),
         R"(error 7 bad_args: unknown argument "verbose" for "events" (it takes no arguments))"},
        {request("version", R"({"target":"api"})"),
         R"(error 7 bad_args: unknown argument "target" for "version" (it takes no arguments))"},
        {request("reload", R"({"file":"x.toml"})"),
         R"(error 7 bad_args: unknown argument "file" for "reload" (expected one of: target, wait, timeout_ms))"},
        {request("events", R"({"follow":true})"),
         R"(error 7 bad_args: unknown argument "follow" for "events" (it takes no arguments))"},
        {request("shutdown", R"({"force":true})"),
         R"(error 7 bad_args: unknown argument "force" for "shutdown" (it takes no arguments))"},
        {request("restart", R"({"tagret":"api"})"),
         R"(error 7 bad_args: unknown argument "tagret" for "restart" (did you mean "target"?))"},
        {request("start", R"({"target":"api","wiat":true})"),
         R"(error 7 bad_args: unknown argument "wiat" for "start" (did you mean "wait"?))"},
        {request("stop", R"({"target":"api","timeout":5})"),
         R"(error 7 bad_args: unknown argument "timeout" for "stop" (expected one of: target, wait, timeout_ms))"},
        {request("signal", R"({"target":"api","sig":"HUP"})"),
         R"(error 7 bad_args: unknown argument "sig" for "signal" (expected one of: target, signal, wait))"},
        {request("logs", R"({"target":"api","line":5})"),
         R"(error 7 bad_args: unknown argument "line" for "logs" (did you mean "lines"?))"},
        {request("logs", R"({"target":"api","grep":"x"})"),
         R"(error 7 bad_args: unknown argument "grep" for "logs" (expected one of: target, lines, stream, follow, since_ms))"},
        {request("postmortem", R"({"json":true})"),
         R"(error 7 bad_args: unknown argument "json" for "postmortem" (expected one of: target, show))"},
        {request("cool", R"({"target":"api","for":60})"),
         R"(error 7 bad_args: unknown argument "for" for "cool" (expected one of: target, for_ms))"},
        {request("cool", R"({"target":"api","for_ms":"5m"})"),
         R"(error 7 bad_args: wrong type for "for_ms" (expected an integer from 1 to 86400000 (milliseconds), got "5m"))"},
        {request("cool", R"({"target":"api","for_ms":0})"),
         R"(error 7 bad_args: "for_ms" must be an integer from 1 to 86400000 (milliseconds) (got integer 0))"},
        {request("describe", "{}"),
         R"(error 7 bad_args: missing argument "target" for "describe" (expected a service name, NAME#INDEX or "all"))"},
        {request("status", R"({"target":"api#x"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api#x"))"},
        {request("status", R"({"traget":"api"})"),
         R"(error 7 bad_args: unknown argument "traget" for "status" (did you mean "target"?))"},
        {request("heat", R"({"target":"api","for_ms":5})"),
         R"(error 7 bad_args: unknown argument "for_ms" for "heat" (expected one of: target))"},
        // An unknown name is reported before a missing one: it is most often the missing one misspelt.
        {request("stop", R"({"Target":"api"})"),
         R"(error 7 bad_args: unknown argument "Target" for "stop" (did you mean "target"?))"},
    });
}

TEST_CASE("bad_args - required arguments missing") {
    check_all({
        {request("start"),
         R"(error 7 bad_args: missing argument "target" for "start" (expected a service name, NAME#INDEX or "all"))"},
        {R"({"v":1,"id":7,"cmd":"stop"})",
         R"(error 7 bad_args: missing argument "target" for "stop" (expected a service name, NAME#INDEX or "all"))"},
        {request("restart"),
         "error 7 bad_args: missing argument \"target\" for \"restart\" (expected a service name, NAME#INDEX or "
         "\"all\")"},
        {request("signal", R"({"signal":"HUP"})"),
         "error 7 bad_args: missing argument \"target\" for \"signal\" (expected a service name, NAME#INDEX or "
         "\"all\")"},
        {request("signal", R"({"target":"api"})"),
         "error 7 bad_args: missing argument \"signal\" for \"signal\" (expected a signal name such as \"SIGUSR2\" or "
         "\"USR2\", or a signal number)"},
        {request("logs", R"({"lines":5})"),
         R"(error 7 bad_args: missing argument "target" for "logs" (expected a service name, NAME#INDEX or "all"))"},
    });
}

TEST_CASE("bad_args - targets") {
    check_all({
        {request("restart", R"({"target":"api#x"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api#x"))"},
        {request("restart", R"({"target":"api#"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api#"))"},
        {request("start", R"({"target":"#1"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "#1"))"},
        {request("stop", R"({"target":"a/b"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "a/b"))"},
        {request("stop", R"({"target":""})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got ""))"},
        {request("stop", R"({"target":".hidden"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got ".hidden"))"},
        {request("stop", R"({"target":"api#-1"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api#-1"))"},
        {request("stop", R"({"target":"api#0#1"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api#0#1"))"},
        {request("stop", R"({"target":"api#99999999999"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api#99999999999"))"},
        {request("stop", R"({"target":"api\u0000x"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api\u0000x"))"},
        {request("stop", R"({"target":"café"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "café"))"},
        {request("stop", R"({"target":5})"),
         "error 7 bad_args: wrong type for \"target\" (expected a service name, NAME#INDEX or \"all\", got integer "
         "5)"},
        {request("logs", R"({"target":["api"]})"),
         R"(error 7 bad_args: wrong type for "target" (expected a service name, NAME#INDEX or "all", got array))"},
        {request("postmortem", R"({"target":null})"),
         R"(error 7 bad_args: wrong type for "target" (expected a service name, NAME#INDEX or "all", got null))"},
        {request("postmortem", R"({"target":"api#z"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "api#z"))"},
    });
}

TEST_CASE("bad_args - wait and timeout_ms") {
    check_all({
        {request("start", R"({"target":"api","wait":"yes"})"),
         R"(error 7 bad_args: wrong type for "wait" (expected a boolean, got "yes"))"},
        {request("reload", R"({"wait":1})"), R"(error 7 bad_args: wrong type for "wait" (expected a boolean, got integer 1))"},
        {request("stop", R"({"target":"api","wait":true,"timeout_ms":0})"),
         R"(error 7 bad_args: "timeout_ms" must be an integer from 1 to 86400000 (milliseconds) (got integer 0))"},
        {request("stop", R"({"target":"api","wait":true,"timeout_ms":"5s"})"),
         R"(error 7 bad_args: wrong type for "timeout_ms" (expected an integer from 1 to 86400000 (milliseconds), got "5s"))"},
        {request("restart", R"({"target":"api","timeout_ms":500})"),
         R"(error 7 bad_args: "timeout_ms" is only taken with "wait": true)"},
        {request("reload", R"({"wait":false,"timeout_ms":500})"),
         R"(error 7 bad_args: "timeout_ms" is only taken with "wait": true)"},
        {request("signal", R"({"target":"api","signal":"HUP","timeout_ms":500})"),
         R"(error 7 bad_args: unknown argument "timeout_ms" for "signal" (expected one of: target, signal, wait))"},
        {request("heat", R"({"target":"api","wait":true})"),
         R"(error 7 bad_args: unknown argument "wait" for "heat" (expected one of: target))"},
    });
    CHECK(outcome(request("stop", R"({"target":"api","wait":true,"timeout_ms":86400000})")) ==
          R"(ok 7 stop {"target":"api","timeout_ms":86400000,"wait":true})");
}

TEST_CASE("bad_args - signals") {
    check_all({
        {request("signal", R"({"target":"api","signal":"SIGFOO"})"),
         "error 7 bad_args: \"signal\" must be a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number "
         "(got \"SIGFOO\")"},
        {request("signal", R"({"target":"api","signal":"sigterm"})"),
         "error 7 bad_args: \"signal\" must be a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number "
         "(got \"sigterm\")"},
        {request("signal", R"({"target":"api","signal":""})"),
         "error 7 bad_args: \"signal\" must be a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number "
         "(got \"\")"},
        {request("signal", R"({"target":"api","signal":0})"),
         "error 7 bad_args: \"signal\" must be a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number "
         "(got integer 0)"},
        {request("signal", R"({"target":"api","signal":-9})"),
         "error 7 bad_args: \"signal\" must be a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number "
         "(got integer -9)"},
        {request("signal", R"({"target":"api","signal":65})"),
         "error 7 bad_args: \"signal\" must be a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number "
         "(got integer 65)"},
        {request("signal", R"({"target":"api","signal":4294967311})"),
         "error 7 bad_args: \"signal\" must be a signal name such as \"SIGUSR2\" or \"USR2\", or a signal number "
         "(got integer 4294967311)"},
        {request("signal", R"({"target":"api","signal":15.0})"),
         "error 7 bad_args: wrong type for \"signal\" (expected a signal name such as \"SIGUSR2\" or \"USR2\", or a "
         "signal number, got float 15.0)"},
        {request("signal", R"({"target":"api","signal":true})"),
         "error 7 bad_args: wrong type for \"signal\" (expected a signal name such as \"SIGUSR2\" or \"USR2\", or a "
         "signal number, got boolean true)"},
        // The target is checked before the signal.
        {request("signal", R"({"target":"a b","signal":"NOPE"})"),
         R"(error 7 bad_args: "target" must be a service name, NAME#INDEX or "all" (got "a b"))"},
    });
    CHECK(outcome(request("signal", R"({"target":"api","signal":64})")) ==
          R"(ok 7 signal {"signal":64,"target":"api"})");
    CHECK(outcome(request("signal", R"({"target":"api","signal":1})")) == R"(ok 7 signal {"signal":1,"target":"api"})");
}

TEST_CASE("bad_args - logs lines stream and follow") {
    check_all({
        {request("logs", R"({"target":"api","lines":-1})"),
         R"(error 7 bad_args: "lines" must be an integer from 0 to 10000 (got integer -1))"},
        {request("logs", R"({"target":"api","lines":10001})"),
         R"(error 7 bad_args: "lines" must be an integer from 0 to 10000 (got integer 10001))"},
        {request("logs", R"({"target":"api","lines":18446744073709551615})"),
         R"(error 7 bad_args: "lines" must be an integer from 0 to 10000 (got integer 18446744073709551615))"},
        {request("logs", R"({"target":"api","lines":"100"})"),
         R"(error 7 bad_args: wrong type for "lines" (expected an integer from 0 to 10000, got "100"))"},
        {request("logs", R"({"target":"api","lines":100.0})"),
         R"(error 7 bad_args: wrong type for "lines" (expected an integer from 0 to 10000, got float 100.0))"},
        {request("logs", R"({"target":"api","lines":1e2})"),
         R"(error 7 bad_args: wrong type for "lines" (expected an integer from 0 to 10000, got float 100.0))"},
        {request("logs", R"({"target":"api","stream":"stdout"})"),
         R"(error 7 bad_args: "stream" must be one of "out", "err" or "both" (got "stdout"))"},
        {request("logs", R"({"target":"api","stream":"OUT"})"),
         R"(error 7 bad_args: "stream" must be one of "out", "err" or "both" (got "OUT"))"},
        {request("logs", R"({"target":"api","stream":1})"),
         R"(error 7 bad_args: wrong type for "stream" (expected one of "out", "err" or "both", got integer 1))"},
        {request("logs", R"({"target":"api","follow":"yes"})"),
         R"(error 7 bad_args: wrong type for "follow" (expected a boolean, got "yes"))"},
        {request("logs", R"({"target":"api","follow":1})"),
         R"(error 7 bad_args: wrong type for "follow" (expected a boolean, got integer 1))"},
        {request("logs", R"({"target":"api","follow":null})"),
         R"(error 7 bad_args: wrong type for "follow" (expected a boolean, got null))"},
        // Arguments are checked in the order the command lists them.
        {request("logs", R"({"follow":"x","lines":-5,"target":"api"})"),
         R"(error 7 bad_args: "lines" must be an integer from 0 to 10000 (got integer -5))"},
    });
}

TEST_CASE("bad_args - postmortem show") {
    check_all({
        {request("postmortem", R"({"show":""})"),
         R"(error 7 bad_args: "show" must be a post-mortem id or a prefix of one (got ""))"},
        {request("postmortem", R"({"show":3})"),
         R"(error 7 bad_args: wrong type for "show" (expected a post-mortem id or a prefix of one, got integer 3))"},
        {request("postmortem", R"({"show":{"id":"x"}})"),
         R"(error 7 bad_args: wrong type for "show" (expected a post-mortem id or a prefix of one, got object))"},
    });
}

TEST_CASE("too_large - a line longer than kMaxRequestBytes") {
    const std::string small = R"({"v":1,"id":7,"cmd":"status"})";
    std::string at_limit = small + std::string(kMaxRequestBytes - small.size(), ' ');
    CHECK(at_limit.size() == kMaxRequestBytes);
    CHECK(outcome(at_limit) == "ok 7 status {}");
    CHECK(outcome(at_limit + " ") ==
          "error null too_large: request of 1048577 bytes is longer than the limit of 1048576 bytes");
}

TEST_CASE("deeply nested JSON is answered without a crash") {
    // Far deeper than any recursion could go on a thread's stack.
    const std::size_t depth = 200'000;
    CHECK(outcome(nested_arrays(depth)) == "error null bad_json: request is not a JSON object (got array)");
    CHECK(outcome(std::string(depth, '[')) == "error null bad_json: request is not valid JSON (syntax error at byte " +
                                                  std::to_string(depth + 1) + ")");
    CHECK(outcome(request("events", R"({"x":)" + nested_arrays(depth) + "}")) ==
          R"(error 7 bad_args: unknown argument "x" for "events" (it takes no arguments))");
    CHECK(outcome(request("stop", R"({"target":)" + nested_arrays(depth) + "}")) ==
          R"(error 7 bad_args: wrong type for "target" (expected a service name, NAME#INDEX or "all", got array))");
    std::string objects;
    for (std::size_t i = 0; i < depth / 2; ++i) objects += R"({"a":)";
    objects += "1" + std::string(depth / 2, '}');
    CHECK(outcome(R"({"v":1,"id":7,"cmd":"status","trace":)" + objects + "}") == "ok 7 status {}");
}

TEST_CASE("NUL bytes") {
    using namespace std::string_literals;
    check_all({
        {"\0"s, "error null bad_json: request is not valid JSON (syntax error at byte 1)"},
        {R"({"v":1,"id":7,"cmd":"status"})"s + "\0"s,
         "error null bad_json: request is not valid JSON (syntax error at byte 30)"},
        {R"({"v":1,"id":7,"cmd":"sta)"s + "\0"s + R"(tus"})",
         "error null bad_json: request is not valid JSON (syntax error at byte 25)"},
        // Escaped, a NUL is a character like any other: not one a service name may have.
        {request("stat\\u0000us"),
         "error 7 unknown_command: unknown command \"stat\\u0000us\" (did you mean \"status\"?)"},
        {request("postmortem", R"({"show":"\u0000"})"), R"(ok 7 postmortem {"show":"\u0000"})"},
    });
}

TEST_CASE("invalid UTF-8 in a request is bad_json") {
    check_all({
        {request("stop", "{\"target\":\"api\xff\"}"),
         "error null bad_json: request is not valid JSON (syntax error at byte 49)"},
        // A lone lead byte: the error is at the next byte, which does not continue it.
        {request("stop", "{\"target\":\"\xc3\"}"), "error null bad_json: request is not valid JSON (syntax error at byte 47)"},
        {"\xef\xbb\xbf" + request("status"), "ok 7 status {}"},  // a byte order mark is skipped
        // An escaped lone surrogate is no character either.
        {request("stop", R"({"target":"\ud800"})"),
         "error null bad_json: request is not valid JSON (syntax error at byte 52)"},
    });
}

TEST_CASE("very long strings are cut in messages") {
    const std::string name(100'000, 'a');
    CHECK(outcome(request("stop", R"({"target":")" + name + "\"}")) ==
          "error 7 bad_args: \"target\" must be a service name, NAME#INDEX or \"all\" (got \"" + std::string(64, 'a') +
              "\"... (100000 bytes))");
    CHECK(outcome(request(name)) ==
          "error 7 unknown_command: unknown command \"" + std::string(64, 'a') +
              "\"... (100000 bytes) (expected one of: version, status, start, stop, restart, signal, cool, heat, reload, logs, "
              "postmortem, events, describe, shutdown, flush, add, delete, services, metrics)");
    CHECK(outcome(request("events", R"({")" + name + R"(":1})")) ==
          "error 7 bad_args: unknown argument \"" + std::string(64, 'a') +
              "\"... (100000 bytes) for \"events\" (it takes no arguments)");
    // Cut between characters, never inside one: 63 ASCII bytes, then "é" (2 bytes) would straddle the cut.
    const std::string accented = std::string(63, 'x') + "\xc3\xa9" + std::string(100, 'y');
    CHECK(outcome(request("stop", R"({"target":")" + accented + "\"}")) ==
          "error 7 bad_args: \"target\" must be a service name, NAME#INDEX or \"all\" (got \"" + std::string(63, 'x') +
              "\"... (165 bytes))");
    // A long but valid show id passes untouched.
    const std::string show(5000, 's');
    CHECK(outcome(request("postmortem", R"({"show":")" + show + "\"}")) == R"(ok 7 postmortem {"show":")" + show + "\"}");
}
