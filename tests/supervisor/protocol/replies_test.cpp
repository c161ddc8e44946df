// The control protocol's writers: request lines (make_request) and the daemon's replies and stream events.
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
        CHECK(name_of(request.command) == cmd);
        CHECK(encode_arguments(request.command) == args);
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
    CHECK(reply_error(7, ErrorCode::not_found, "no service or instance \"apx\"") ==
          "{\"id\":7,\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"no service or instance \\\"apx\\\"\"}}\n");
    CHECK(reply_error(std::nullopt, ErrorCode::bad_json, "request is not a JSON object (got array)") ==
          "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad_json\",\"message\":\"request is not a JSON object (got "
          "array)\"}}\n");
    CHECK(reply_error(3, ErrorCode::invalid_config, "corral.toml has 1 error", json::array({"corral.toml:3:1: unknown key"})) ==
          "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"invalid_config\",\"message\":\"corral.toml has 1 error\","
          "\"details\":[\"corral.toml:3:1: unknown key\"]}}\n");
    CHECK(reply_error(3, ErrorCode::failed, "x", json::object()) ==
          "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"x\",\"details\":{}}}\n");
    CHECK(stream_event(7, {{"instance", "api#0"}, {"stream", "out"}, {"line", "hello"}}) ==
          "{\"id\":7,\"event\":{\"instance\":\"api#0\",\"line\":\"hello\",\"stream\":\"out\"}}\n");

    // The replies parse back, with the id where the client looks for it.
    const json reply = json::parse(reply_error(12, ErrorCode::slow_client, "too slow"));
    CHECK(reply["id"] == 12);
    CHECK(reply["ok"] == false);
    CHECK(reply["error"]["code"] == "slow_client");
    CHECK_FALSE(reply["error"].contains("details"));
}

TEST_CASE("replies with invalid UTF-8 do not throw - the bad bytes become U+FFFD") {
    std::string line;
    CHECK_NOTHROW(line = reply_error(5, ErrorCode::failed, "cannot read \"\xff\xfe.log\": \xc3"));
    CHECK(line == "{\"id\":5,\"ok\":false,\"error\":{\"code\":\"failed\",\"message\":\"cannot read "
                  "\\\"\xef\xbf\xbd\xef\xbf\xbd.log\\\": \xef\xbf\xbd\"}}\n");
    CHECK_NOTHROW(line = reply_ok(5, {{"line", "\x80 binary \xff"}}));
    CHECK(line == "{\"id\":5,\"ok\":true,\"result\":{\"line\":\"\xef\xbf\xbd binary \xef\xbf\xbd\"}}\n");
    CHECK_NOTHROW(line = stream_event(5, {{"line", std::string("\xed\xa0\x80")}}));
    CHECK(json::accept(line));
    CHECK_NOTHROW(line = reply_error(5, ErrorCode::failed, "x", json::array({"\xff"})));
    CHECK(json::accept(line));
    CHECK_NOTHROW(line = make_request(5, "st\xffop", {{"target", "\xfe"}}));
    CHECK(outcome(line.substr(0, line.size() - 1)) ==
          "error 5 unknown_command: unknown command \"st\xef\xbf\xbdop\" (expected one of: version, status, start, "
          "stop, restart, signal, cool, heat, reload, logs, postmortem, events, describe, shutdown, flush, add, delete, services, metrics)");
}
