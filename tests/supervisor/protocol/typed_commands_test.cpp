// The control protocol's typed side: what parse_request holds for each command, and the lines
// encode_request writes for the CLI (byte for byte what the CLI has always sent).
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <variant>

#include "supervisor/protocol/control_protocol.hpp"

using namespace corral::protocol;
using namespace std::chrono_literals;

namespace {

// The command of a good request line (without its newline).
Command command_of(const std::string& line) {
    const auto parsed = parse_request(line);
    REQUIRE(std::holds_alternative<Request>(parsed));
    return std::get<Request>(parsed).command;
}

std::string request(std::string_view cmd, std::string_view args) {
    return R"({"v":1,"id":7,"cmd":")" + std::string(cmd) + R"(","args":)" + std::string(args) + "}";
}

}  // namespace

TEST_CASE("the command names are the variant's, in its order") {
    CHECK(kCommands.size() == std::variant_size_v<Command>);
    CHECK(kCommands.front() == "version");
    CHECK(kCommands.back() == "metrics");
    CHECK(std::set<std::string_view>(kCommands.begin(), kCommands.end()).size() == kCommands.size());
    CHECK(name_of(Command{Stop{}}) == "stop");
    CHECK(name_of(Command{Logs{}}) == "logs");
    CHECK(name_of(Command{Postmortem{}}) == "postmortem");
}

TEST_CASE("arguments are read into typed fields once - targets included") {
    CHECK(command_of(request("restart", R"({"target":"api#3"})")) == Command{Restart{Target{"api", 3u}}});
    CHECK(command_of(request("stop", R"({"target":"all"})")) == Command{Stop{Target{}}});
    CHECK(command_of(request("heat", R"({"target":"web"})")) == Command{Heat{Target{"web", std::nullopt}}});

    const auto signal = std::get<Signal>(command_of(request("signal", R"({"target":"api","signal":"USR2"})")));
    CHECK(signal.signal.number == 12);
    CHECK(signal.signal.text == "USR2");
    const auto numbered = std::get<Signal>(command_of(request("signal", R"({"target":"api","signal":15})")));
    CHECK(numbered.signal.number == 15);
    CHECK_FALSE(numbered.signal.text.has_value());

    const auto cool = std::get<Cool>(command_of(request("cool", R"({"target":"api#0","for_ms":90000})")));
    CHECK(cool.target == Target{"api", 0u});
    CHECK(cool.duration == 90s);
    CHECK_FALSE(std::get<Cool>(command_of(request("cool", R"({"target":"api"})"))).duration.has_value());

    const auto pm = std::get<Postmortem>(command_of(request("postmortem", R"({"target":"api#1","show":"x"})")));
    CHECK(pm.target == Target{"api", 1u});
    CHECK(pm.show == "x");
    CHECK(command_of(request("postmortem", "{}")) == Command{Postmortem{}});
}

TEST_CASE("logs - the defaults are the command's, and what was sent is kept") {
    const auto bare = std::get<Logs>(command_of(request("logs", R"({"target":"api"})")));
    CHECK(bare.line_count() == 100);
    CHECK(bare.streams() == LogStream::both);
    CHECK_FALSE(bare.follows());
    CHECK_FALSE(bare.lines.has_value());
    CHECK(encode_arguments(bare) == nlohmann::json{{"target", "api"}});

    const auto full =
        std::get<Logs>(command_of(request("logs", R"({"target":"api","lines":0,"stream":"err","follow":true})")));
    CHECK(full.line_count() == 0);
    CHECK(full.streams() == LogStream::err);
    CHECK(full.follows());
}

TEST_CASE("encode_request writes what the CLI sends") {
    CHECK(encode_request(1, Status{}) == "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":{}}\n");
    CHECK(encode_request(2, Restart{Target{"api", 0u}}) ==
          "{\"v\":1,\"id\":2,\"cmd\":\"restart\",\"args\":{\"target\":\"api#0\"}}\n");
    CHECK(encode_request(3, Signal{Target{"web", std::nullopt}, SignalArg{12, "SIGUSR2"}}) ==
          "{\"v\":1,\"id\":3,\"cmd\":\"signal\",\"args\":{\"signal\":\"SIGUSR2\",\"target\":\"web\"}}\n");
    CHECK(encode_request(4, Signal{Target{}, SignalArg{9, std::nullopt}}) ==
          "{\"v\":1,\"id\":4,\"cmd\":\"signal\",\"args\":{\"signal\":9,\"target\":\"all\"}}\n");
    CHECK(encode_request(5, Cool{Target{"api", std::nullopt}, 300'000ms}) ==
          "{\"v\":1,\"id\":5,\"cmd\":\"cool\",\"args\":{\"for_ms\":300000,\"target\":\"api\"}}\n");
    CHECK(encode_request(6, Logs{Target{}, 100u, LogStream::out, false}) ==
          "{\"v\":1,\"id\":6,\"cmd\":\"logs\",\"args\":{\"follow\":false,\"lines\":100,\"stream\":\"out\","
          "\"target\":\"all\"}}\n");
}

TEST_CASE("wait and timeout_ms - read, defaulted, and written back only when sent") {
    const auto waiting = std::get<Restart>(command_of(request("restart", R"({"target":"api","wait":true,"timeout_ms":2500})")));
    CHECK(waiting.waits());
    CHECK(waiting.timeout == 2500ms);
    const auto plain = std::get<Stop>(command_of(request("stop", R"({"target":"api"})")));
    CHECK_FALSE(plain.waits());
    CHECK_FALSE(plain.wait.has_value());
    CHECK(encode_arguments(plain) == nlohmann::json{{"target", "api"}});
    CHECK_FALSE(std::get<Stop>(command_of(request("stop", R"({"target":"api","wait":false})"))).waits());
    CHECK(std::get<Reload>(command_of(request("reload", R"({"wait":true})"))).waits());
    CHECK(std::get<Signal>(command_of(request("signal", R"({"target":"api","signal":"HUP","wait":true})"))).waits());
    // What the CLI sends when it waits (and when it does not: the request it always sent).
    CHECK(encode_request(8, Start{Target{"web", std::nullopt}, true, 30'000ms}) ==
          "{\"v\":1,\"id\":8,\"cmd\":\"start\",\"args\":{\"target\":\"web\",\"timeout_ms\":30000,\"wait\":true}}\n");
    CHECK(encode_request(9, Reload{}) == "{\"v\":1,\"id\":9,\"cmd\":\"reload\",\"args\":{}}\n");
}

TEST_CASE("every typed command survives encode and parse") {
    const Command commands[] = {
        Version{},
        Status{},
        Start{Target{"api", std::nullopt}},
        Stop{Target{}},
        Restart{Target{"w_1-x", 4294967295u}},
        Signal{Target{"api", 1u}, SignalArg{1, "HUP"}},
        Signal{Target{"api", 1u}, SignalArg{10, "10"}},
        Cool{Target{"api", std::nullopt}, 1ms},
        Cool{Target{}, std::nullopt},
        Heat{Target{"api", 0u}},
        Reload{},
        Reload{true, 5'000ms},
        Start{Target{"api", 0u}, true, std::nullopt},
        Stop{Target{}, false, std::nullopt},
        Restart{Target{"api", std::nullopt}, true, 86'400'000ms},
        Signal{Target{"api", 1u}, SignalArg{12, "USR2"}, true},
        Logs{Target{"api", std::nullopt}, 10'000u, LogStream::both, true},
        Logs{Target{}, std::nullopt, std::nullopt, std::nullopt},
        Postmortem{Target{"api", std::nullopt}, "api-0/2026 \"quoted\" \\ \n\t é"},
        Events{},
        Status{Target{"api", 2u}},
        Status{Target{}},
        Describe{Target{"api", std::nullopt}},
        Describe{Target{"api", 0u}},
        Shutdown{},
    };
    std::int64_t id = 0;
    for (const Command& command : commands) {
        CAPTURE(name_of(command));
        const std::string line = encode_request(id, command);
        const auto parsed = parse_request(std::string_view(line).substr(0, line.size() - 1));
        REQUIRE(std::holds_alternative<Request>(parsed));
        CHECK(std::get<Request>(parsed) == Request{id, command});
        id += 1'000'000'007;
    }
}

TEST_CASE("error codes have their wire names") {
    // In the order of ErrorCode, as control_protocol.hpp lists them.
    const std::string_view names[] = {"bad_json",  "bad_request", "unsupported_version", "unknown_command",
                                      "bad_args",  "too_large",   "forbidden",           "not_found",
                                      "invalid_config", "shutting_down", "slow_client", "wait_failed",
                                      "timeout",        "not_running",   "failed"};
    for (std::size_t i = 0; i < std::size(names); ++i) CHECK(wire_name(static_cast<ErrorCode>(i)) == names[i]);
    CHECK(wire_name(ErrorCode::failed) == "failed");
}

TEST_CASE("a post-mortem bundle's reply keeps its keys in order") {
    nlohmann::ordered_json bundle = {{"id", "api-0/x"}, {"path", "/p"}, {"exit", nullptr}};
    CHECK(reply_ok_ordered(4, bundle) ==
          "{\"id\":4,\"ok\":true,\"result\":{\"id\":\"api-0/x\",\"path\":\"/p\",\"exit\":null}}\n");
}
