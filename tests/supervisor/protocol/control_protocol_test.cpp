// The control protocol's request parser and reply writers. The error messages are what a script author
// reading the socket sees: when one changes here, read it aloud before accepting the change.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/protocol/control_protocol.hpp"
#include "tests/support/doctest_strings.hpp"

using corral::protocol::kCommands;
using corral::protocol::kMaxRequestBytes;
using corral::protocol::make_request;
using corral::protocol::parse_request;
using corral::protocol::parse_target;
using corral::protocol::ProtocolError;
using corral::protocol::reply_error;
using corral::protocol::reply_ok;
using corral::protocol::Request;
using corral::protocol::stream_event;
using corral::protocol::Target;
using nlohmann::json;

namespace {

struct Case {
    std::string line;
    std::string outcome;
};

// One line per outcome: "ok ID CMD ARGS" or "error ID CODE: MESSAGE", ID being "null" when unknown.
std::string outcome(std::string_view line) {
    const auto parsed = parse_request(line);
    if (const auto* request = std::get_if<Request>(&parsed)) {
        return "ok " + std::to_string(request->id) + " " + request->cmd + " " + request->args.dump();
    }
    const auto& error = std::get<ProtocolError>(parsed);
    return "error " + (error.id ? std::to_string(*error.id) : std::string("null")) + " " + error.code + ": " +
           error.message;
}

void check_all(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        CAPTURE(c.line);
        CHECK(outcome(c.line) == c.outcome);
    }
}

// A request for `cmd` with `args` (JSON object text), id 7.
std::string request(std::string_view cmd, std::string_view args = "{}") {
    return R"({"v":1,"id":7,"cmd":")" + std::string(cmd) + R"(","args":)" + std::string(args) + "}";
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("good requests of every command are accepted with their arguments") {
    check_all({
        {R"({"v":1,"id":1,"cmd":"version"})", "ok 1 version {}"},
        {R"({"v":1,"id":2,"cmd":"status","args":{}})", "ok 2 status {}"},
        {request("start", R"({"target":"api"})"), R"(ok 7 start {"target":"api"})"},
        {request("stop", R"({"target":"all"})"), R"(ok 7 stop {"target":"all"})"},
        {request("restart", R"({"target":"api#0"})"), R"(ok 7 restart {"target":"api#0"})"},
        {request("restart", R"({"target":"api.v2-x_1#12"})"), R"(ok 7 restart {"target":"api.v2-x_1#12"})"},
        {request("signal", R"({"target":"api","signal":"SIGUSR2"})"),
         R"(ok 7 signal {"signal":"SIGUSR2","target":"api"})"},
        {request("signal", R"({"target":"api#1","signal":"HUP"})"), R"(ok 7 signal {"signal":"HUP","target":"api#1"})"},
        {request("signal", R"({"target":"all","signal":15})"), R"(ok 7 signal {"signal":15,"target":"all"})"},
        {request("signal", R"({"target":"all","signal":"9"})"), R"(ok 7 signal {"signal":"9","target":"all"})"},
        {request("reload"), "ok 7 reload {}"},
        {request("logs", R"({"target":"api"})"), R"(ok 7 logs {"target":"api"})"},
        {request("logs", R"({"target":"api#0","lines":0,"stream":"err","follow":true})"),
         R"(ok 7 logs {"follow":true,"lines":0,"stream":"err","target":"api#0"})"},
        {request("logs", R"({"target":"all","lines":10000,"stream":"out","follow":false})"),
         R"(ok 7 logs {"follow":false,"lines":10000,"stream":"out","target":"all"})"},
        {request("logs", R"({"target":"web","stream":"both"})"), R"(ok 7 logs {"stream":"both","target":"web"})"},
        {request("postmortem"), "ok 7 postmortem {}"},
        {request("postmortem", R"({"target":"api#0"})"), R"(ok 7 postmortem {"target":"api#0"})"},
        {request("postmortem", R"({"show":"api-0/2026"})"), R"(ok 7 postmortem {"show":"api-0/2026"})"},
        {request("postmortem", R"({"target":"api","show":"20261125T131500.123Z-oom-kill"})"),
         R"(ok 7 postmortem {"show":"20261125T131500.123Z-oom-kill","target":"api"})"},
        {request("events"), "ok 7 events {}"},
        {request("shutdown"), "ok 7 shutdown {}"},
    });
}

TEST_CASE("the envelope: whitespace and key order do not matter and unknown fields are ignored") {
    check_all({
        {" \t{ \"cmd\" : \"status\" , \"id\" : 3 , \"v\" : 1 }\r ", "ok 3 status {}"},
        {R"({"args":{"target":"api"},"cmd":"stop","id":4,"v":1})", R"(ok 4 stop {"target":"api"})"},
        {R"({"v":1,"id":5,"cmd":"status","trace":"abc"})", "ok 5 status {}"},
        // Duplicate keys: the last one counts, as in JavaScript.
        {R"({"v":1,"id":1,"id":6,"cmd":"stop","cmd":"status"})", "ok 6 status {}"},
    });
}

TEST_CASE("ids are echoed - from 0 to 2^53") {
    check_all({
        {R"({"v":1,"id":0,"cmd":"status"})", "ok 0 status {}"},
        {R"({"v":1,"id":9007199254740992,"cmd":"status"})", "ok 9007199254740992 status {}"},
        {R"({"v":1,"id":9007199254740992,"cmd":"stpo"})",
         R"(error 9007199254740992 unknown_command: unknown command "stpo" (did you mean "stop"?))"},
        {R"({"v":1,"id":42,"cmd":"stop"})",
         R"(error 42 bad_args: missing argument "target" for "stop" (expected a service name, NAME#INDEX or "all"))"},
        {R"({"v":2,"id":43,"cmd":"status"})",
         "error 43 unsupported_version: protocol version 2 is not supported (this daemon speaks version 1)"},
    });
}

TEST_CASE("bad_json - the line is not a JSON object and the id is null") {
    check_all({
        {"", "error null bad_json: request is not valid JSON (syntax error at byte 1)"},
        {"   ", "error null bad_json: request is not valid JSON (syntax error at byte 4)"},
        {"status", "error null bad_json: request is not valid JSON (syntax error at byte 1)"},
        {R"({"v":1,"id":7,"cmd":"status")", "error null bad_json: request is not valid JSON (syntax error at byte 29)"},
        {R"({"v":1,"id":7,"cmd":"status",})", "error null bad_json: request is not valid JSON (syntax error at byte 30)"},
        {R"({"v":1,"id":7,"cmd":"status"} {})",
         "error null bad_json: request is not valid JSON (syntax error at byte 31)"},
        {R"({'v':1})", "error null bad_json: request is not valid JSON (syntax error at byte 2)"},
        {R"({"v":1,"id":07,"cmd":"status"})", "error null bad_json: request is not valid JSON (syntax error at byte 14)"},
        {R"({"v":NaN})", "error null bad_json: request is not valid JSON (syntax error at byte 6)"},
        {R"({"v":1,"id":7,"cmd":"status","args":{"x":1e400}})",
         "error null bad_json: request is not valid JSON (number out of range: 1e400)"},
        {R"({"v":-1e999,"id":7,"cmd":"status"})",
         "error null bad_json: request is not valid JSON (number out of range: -1e999)"},
        {R"({"v":1,"id":7,"cmd":"status","args":{"x":1)" + std::string(400, '0') + "}}",
         "error null bad_json: request is not valid JSON (number out of range: 1" + std::string(63, '0') + "...)"},
        {"[1,2]", "error null bad_json: request is not a JSON object (got array)"},
        {"[]", "error null bad_json: request is not a JSON object (got empty array)"},
        {R"("status")", R"(error null bad_json: request is not a JSON object (got "status"))"},
        {"null", "error null bad_json: request is not a JSON object (got null)"},
        {"42", "error null bad_json: request is not a JSON object (got integer 42)"},
        {"-1.5", "error null bad_json: request is not a JSON object (got float -1.5)"},
        {"true", "error null bad_json: request is not a JSON object (got boolean true)"},
    });
}

TEST_CASE("bad_request - v id cmd or args missing or of the wrong type") {
    check_all({
        {R"({})", R"(error null bad_request: missing "v" (expected the protocol version 1))"},
        {R"({"id":7,"cmd":"status"})", R"(error 7 bad_request: missing "v" (expected the protocol version 1))"},
        {R"({"v":"1","id":7,"cmd":"status"})",
         R"(error 7 bad_request: wrong type for "v" (expected the protocol version 1, got "1"))"},
        {R"({"v":1.0,"id":7,"cmd":"status"})",
         R"(error 7 bad_request: wrong type for "v" (expected the protocol version 1, got float 1.0))"},
        {R"({"v":1e0,"id":7,"cmd":"status"})",
         R"(error 7 bad_request: wrong type for "v" (expected the protocol version 1, got float 1.0))"},
        {R"({"v":true,"id":7,"cmd":"status"})",
         R"(error 7 bad_request: wrong type for "v" (expected the protocol version 1, got boolean true))"},
        {R"({"v":null,"id":7,"cmd":"status"})",
         R"(error 7 bad_request: wrong type for "v" (expected the protocol version 1, got null))"},
        {R"({"v":1,"cmd":"status"})",
         R"(error null bad_request: missing "id" (expected an integer from 0 to 9007199254740992))"},
        {R"({"v":1,"id":"7","cmd":"status"})",
         R"(error null bad_request: wrong type for "id" (expected an integer from 0 to 9007199254740992, got "7"))"},
        {R"({"v":1,"id":7.0,"cmd":"status"})",
         "error null bad_request: wrong type for \"id\" (expected an integer from 0 to 9007199254740992, got float "
         "7.0)"},
        {R"({"v":1,"id":null,"cmd":"status"})",
         R"(error null bad_request: wrong type for "id" (expected an integer from 0 to 9007199254740992, got null))"},
        {R"({"v":1,"id":{},"cmd":"status"})",
         "error null bad_request: wrong type for \"id\" (expected an integer from 0 to 9007199254740992, got empty "
         "object)"},
        {R"({"v":1,"id":-1,"cmd":"status"})",
         R"(error null bad_request: "id" must be an integer from 0 to 9007199254740992 (got integer -1))"},
        {R"({"v":1,"id":9007199254740993,"cmd":"status"})",
         "error null bad_request: \"id\" must be an integer from 0 to 9007199254740992 (got integer "
         "9007199254740993)"},
        {R"({"v":1,"id":18446744073709551615,"cmd":"status"})",
         "error null bad_request: \"id\" must be an integer from 0 to 9007199254740992 (got integer "
         "18446744073709551615)"},
        {R"({"v":1,"id":7})", R"(error 7 bad_request: missing "cmd" (expected a command name such as "status"))"},
        {R"({"v":1,"id":7,"cmd":["status"]})",
         R"(error 7 bad_request: wrong type for "cmd" (expected a command name such as "status", got array))"},
        {R"({"v":1,"id":7,"cmd":null})",
         R"(error 7 bad_request: wrong type for "cmd" (expected a command name such as "status", got null))"},
        {R"({"v":1,"id":7,"cmd":"status","args":[]})",
         R"(error 7 bad_request: wrong type for "args" (expected an object, got empty array))"},
        {R"({"v":1,"id":7,"cmd":"stop","args":"api"})",
         R"(error 7 bad_request: wrong type for "args" (expected an object, got "api"))"},
        {R"({"v":1,"id":7,"cmd":"status","args":null})",
         R"(error 7 bad_request: wrong type for "args" (expected an object, got null))"},
    });
}

TEST_CASE("unsupported_version - v is an integer other than 1 and the id is echoed when readable") {
    check_all({
        {R"({"v":2,"id":7,"cmd":"status"})",
         "error 7 unsupported_version: protocol version 2 is not supported (this daemon speaks version 1)"},
        {R"({"v":0,"id":7,"cmd":"status"})",
         "error 7 unsupported_version: protocol version 0 is not supported (this daemon speaks version 1)"},
        {R"({"v":-1,"id":7})",
         "error 7 unsupported_version: protocol version -1 is not supported (this daemon speaks version 1)"},
        {R"({"v":18446744073709551615,"id":7})",
         "error 7 unsupported_version: protocol version 18446744073709551615 is not supported (this daemon speaks "
         "version 1)"},
        // A later version may number its requests differently: the version is what is wrong.
        {R"({"v":2,"id":"abc","cmd":"status"})",
         "error null unsupported_version: protocol version 2 is not supported (this daemon speaks version 1)"},
    });
}

TEST_CASE("unknown_command - with a suggestion when one is close") {
    check_all({
        {request("restrat"), R"(error 7 unknown_command: unknown command "restrat" (did you mean "restart"?))"},
        {request("Status"), R"(error 7 unknown_command: unknown command "Status" (did you mean "status"?))"},
        {request("log"), R"(error 7 unknown_command: unknown command "log" (did you mean "logs"?))"},
        {request("deploy"),
         "error 7 unknown_command: unknown command \"deploy\" (expected one of: version, status, start, stop, "
         "restart, signal, cool, heat, reload, logs, postmortem, events, shutdown)"},
        {request(""),
         "error 7 unknown_command: unknown command \"\" (expected one of: version, status, start, stop, restart, "
         "signal, cool, heat, reload, logs, postmortem, events, shutdown)"},
    });
}

TEST_CASE("bad_args - unknown argument names") {
    check_all({
        {request("status", R"({"verbose":true})"),
         R"(error 7 bad_args: unknown argument "verbose" for "status" (it takes no arguments))"},
        {request("version", R"({"target":"api"})"),
         R"(error 7 bad_args: unknown argument "target" for "version" (it takes no arguments))"},
        {request("reload", R"({"file":"x.toml"})"),
         R"(error 7 bad_args: unknown argument "file" for "reload" (it takes no arguments))"},
        {request("events", R"({"follow":true})"),
         R"(error 7 bad_args: unknown argument "follow" for "events" (it takes no arguments))"},
        {request("shutdown", R"({"force":true})"),
         R"(error 7 bad_args: unknown argument "force" for "shutdown" (it takes no arguments))"},
        {request("restart", R"({"tagret":"api"})"),
         R"(error 7 bad_args: unknown argument "tagret" for "restart" (did you mean "target"?))"},
        {request("start", R"({"target":"api","wait":true})"),
         R"(error 7 bad_args: unknown argument "wait" for "start" (expected one of: target))"},
        {request("stop", R"({"target":"api","timeout":5})"),
         R"(error 7 bad_args: unknown argument "timeout" for "stop" (expected one of: target))"},
        {request("signal", R"({"target":"api","sig":"HUP"})"),
         R"(error 7 bad_args: unknown argument "sig" for "signal" (expected one of: target, signal))"},
        {request("logs", R"({"target":"api","line":5})"),
         R"(error 7 bad_args: unknown argument "line" for "logs" (did you mean "lines"?))"},
        {request("logs", R"({"target":"api","grep":"x"})"),
         R"(error 7 bad_args: unknown argument "grep" for "logs" (expected one of: target, lines, stream, follow))"},
        {request("postmortem", R"({"json":true})"),
         R"(error 7 bad_args: unknown argument "json" for "postmortem" (expected one of: target, show))"},
        {request("cool", R"({"target":"api","for":60})"),
         R"(error 7 bad_args: unknown argument "for" for "cool" (expected one of: target, for_ms))"},
        {request("cool", R"({"target":"api","for_ms":"5m"})"),
         R"(error 7 bad_args: wrong type for "for_ms" (expected an integer from 1 to 86400000 (milliseconds), got "5m"))"},
        {request("cool", R"({"target":"api","for_ms":0})"),
         R"(error 7 bad_args: "for_ms" must be an integer from 1 to 86400000 (milliseconds) (got integer 0))"},
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
    CHECK(outcome(request("status", R"({"x":)" + nested_arrays(depth) + "}")) ==
          R"(error 7 bad_args: unknown argument "x" for "status" (it takes no arguments))");
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
              "postmortem, events, shutdown)");
    CHECK(outcome(request("status", R"({")" + name + R"(":1})")) ==
          "error 7 bad_args: unknown argument \"" + std::string(64, 'a') +
              "\"... (100000 bytes) for \"status\" (it takes no arguments)");
    // Cut between characters, never inside one: 63 ASCII bytes, then "é" (2 bytes) would straddle the cut.
    const std::string accented = std::string(63, 'x') + "\xc3\xa9" + std::string(100, 'y');
    CHECK(outcome(request("stop", R"({"target":")" + accented + "\"}")) ==
          "error 7 bad_args: \"target\" must be a service name, NAME#INDEX or \"all\" (got \"" + std::string(63, 'x') +
              "\"... (165 bytes))");
    // A long but valid show id passes untouched.
    const std::string show(5000, 's');
    CHECK(outcome(request("postmortem", R"({"show":")" + show + "\"}")) == R"(ok 7 postmortem {"show":")" + show + "\"}");
}

TEST_CASE("make_request lines parse back to the same request") {
    const std::vector<std::pair<std::string, json>> requests = {
        {"version", json::object()},
        {"status", json::object()},
        {"start", {{"target", "api"}}},
        {"stop", {{"target", "all"}}},
        {"restart", {{"target", "api#3"}}},
        {"signal", {{"target", "web#0"}, {"signal", "SIGUSR2"}}},
        {"signal", {{"target", "web"}, {"signal", 10}}},
        {"reload", json::object()},
        {"logs", {{"target", "api"}, {"lines", 250}, {"stream", "both"}, {"follow", true}}},
        {"postmortem", {{"target", "api#0"}, {"show", "api-0/2026 \"quoted\" \\ \n\t é"}}},
        {"events", json::object()},
        {"shutdown", json::object()},
    };
    std::int64_t id = 0;
    for (const auto& request_case : requests) {
        const auto& [cmd, args] = request_case;
        CAPTURE(request_case.first);
        const std::string line = make_request(id, cmd, args);
        REQUIRE(line.ends_with("\n"));
        CHECK(line.find('\n') == line.size() - 1);
        const auto parsed = parse_request(std::string_view(line).substr(0, line.size() - 1));
        REQUIRE(std::holds_alternative<Request>(parsed));
        const auto& request = std::get<Request>(parsed);
        CHECK(request.id == id);
        CHECK(request.cmd == cmd);
        CHECK(request.args == args);
        id += 1'000'000'007;
    }
    CHECK(make_request(7, "restart", {{"target", "api#0"}}) ==
          "{\"v\":1,\"id\":7,\"cmd\":\"restart\",\"args\":{\"target\":\"api#0\"}}\n");
    CHECK(make_request(9007199254740992, "status") ==
          "{\"v\":1,\"id\":9007199254740992,\"cmd\":\"status\",\"args\":{}}\n");
    // Every command of kCommands is known to the parser.
    for (const auto cmd : kCommands) {
        const std::string line = make_request(1, cmd);
        const auto result = outcome(line.substr(0, line.size() - 1));
        CAPTURE(cmd);
        CHECK(result.find("unknown_command") == std::string::npos);
    }
}

TEST_CASE("replies and stream events are one compact line each") {
    CHECK(reply_ok(7, {{"instances", {"api#0", "api#1"}}}) ==
          "{\"id\":7,\"ok\":true,\"result\":{\"instances\":[\"api#0\",\"api#1\"]}}\n");
    CHECK(reply_ok(0, json::object()) == "{\"id\":0,\"ok\":true,\"result\":{}}\n");
    CHECK(reply_ok(1, {{"line", "a\nb\tc\"d\\"}}) == "{\"id\":1,\"ok\":true,\"result\":{\"line\":\"a\\nb\\tc\\\"d\\\\\"}}\n");
    CHECK(reply_error(7, "not_found", "no service or instance \"apx\"") ==
          "{\"id\":7,\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"no service or instance \\\"apx\\\"\"}}\n");
    CHECK(reply_error(std::nullopt, "bad_json", "request is not a JSON object (got array)") ==
          "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad_json\",\"message\":\"request is not a JSON object (got "
          "array)\"}}\n");
    CHECK(reply_error(3, "invalid_config", "corral.toml has 1 error", json::array({"corral.toml:3:1: unknown key"})) ==
          "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"invalid_config\",\"message\":\"corral.toml has 1 error\","
          "\"details\":[\"corral.toml:3:1: unknown key\"]}}\n");
    CHECK(reply_error(3, "failed", "x", json::object()) ==
          "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"x\",\"details\":{}}}\n");
    CHECK(stream_event(7, {{"instance", "api#0"}, {"stream", "out"}, {"line", "hello"}}) ==
          "{\"id\":7,\"event\":{\"instance\":\"api#0\",\"line\":\"hello\",\"stream\":\"out\"}}\n");

    // The replies parse back, with the id where the client looks for it.
    const json reply = json::parse(reply_error(12, "slow_client", "too slow"));
    CHECK(reply["id"] == 12);
    CHECK(reply["ok"] == false);
    CHECK(reply["error"]["code"] == "slow_client");
    CHECK_FALSE(reply["error"].contains("details"));
}

TEST_CASE("replies with invalid UTF-8 do not throw - the bad bytes become U+FFFD") {
    std::string line;
    CHECK_NOTHROW(line = reply_error(5, "failed", "cannot read \"\xff\xfe.log\": \xc3"));
    CHECK(line == "{\"id\":5,\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"cannot read "
                  "\\\"\xef\xbf\xbd\xef\xbf\xbd.log\\\": \xef\xbf\xbd\"}}\n");
    CHECK_NOTHROW(line = reply_ok(5, {{"line", "\x80 binary \xff"}}));
    CHECK(line == "{\"id\":5,\"ok\":true,\"result\":{\"line\":\"\xef\xbf\xbd binary \xef\xbf\xbd\"}}\n");
    CHECK_NOTHROW(line = stream_event(5, {{"line", std::string("\xed\xa0\x80")}}));
    CHECK(json::accept(line));
    CHECK_NOTHROW(line = reply_error(5, "failed", "x", json::array({"\xff"})));
    CHECK(json::accept(line));
    CHECK_NOTHROW(line = make_request(5, "st\xffop", {{"target", "\xfe"}}));
    CHECK(outcome(line.substr(0, line.size() - 1)) ==
          "error 5 unknown_command: unknown command \"st\xef\xbf\xbdop\" (expected one of: version, status, start, "
          "stop, restart, signal, cool, heat, reload, logs, postmortem, events, shutdown)");
}

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
