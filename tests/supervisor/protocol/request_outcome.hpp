#pragma once
// For the tests of the control protocol's request parser (tests/supervisor/protocol/): one line of text per
// outcome, so that a table of cases reads as what a script author sees on the socket.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "supervisor/protocol/control_protocol.hpp"

namespace corral::protocol::test {

struct Case {
    std::string line;
    std::string outcome;
};

// One line per outcome: "ok ID CMD ARGS" or "error ID CODE: MESSAGE", ID being "null" when unknown.
inline std::string outcome(std::string_view line) {
    const auto parsed = parse_request(line);
    if (const auto* request = std::get_if<Request>(&parsed)) {
        return "ok " + std::to_string(request->id) + " " + std::string(name_of(request->command)) + " " +
               encode_arguments(request->command).dump();
    }
    const auto& error = std::get<ProtocolError>(parsed);
    return "error " + (error.id ? std::to_string(*error.id) : std::string("null")) + " " +
           std::string(wire_name(error.code)) + ": " + error.message;
}

inline void check_all(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        CAPTURE(c.line);
        CHECK(outcome(c.line) == c.outcome);
    }
}

// A request for `cmd` with `args` (JSON object text), id 7.
inline std::string request(std::string_view cmd, std::string_view args = "{}") {
    return R"({"v":1,"id":7,"cmd":")" + std::string(cmd) + R"(","args":)" + std::string(args) + "}";
}

}  // namespace corral::protocol::test
