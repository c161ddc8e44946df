// The control protocol's request parser: the envelope, the id and the version, the command name. The error
// messages are what a script author reading the socket sees: when one changes here, read it aloud before
// accepting the change. Arguments: bad_args_test.cpp; replies: replies_test.cpp; targets: target_test.cpp.
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
         "restart, signal, cool, heat, reload, logs, postmortem, events, describe, shutdown, flush, add, delete, services, metrics)"},
        {request(""),
         "error 7 unknown_command: unknown command \"\" (expected one of: version, status, start, stop, restart, "
         "signal, cool, heat, reload, logs, postmortem, events, describe, shutdown, flush, add, delete, services, metrics)"},
    });
}
