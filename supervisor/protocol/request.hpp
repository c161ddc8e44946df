#pragma once
// A request of the control protocol as the daemon receives it and the CLI sends it: an id and a typed
// Command. parse_request reads and checks a request line once, arguments and targets included;
// encode_request writes one. The protocol itself is described in control_protocol.hpp.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "supervisor/protocol/commands.hpp"
#include "supervisor/protocol/error_code.hpp"

namespace corral::protocol {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxRequestBytes = 1 << 20;

struct Request {
    std::int64_t id = 0;
    Command command;
    bool operator==(const Request&) const = default;
};

struct ProtocolError {
    std::optional<std::int64_t> id;  // nullopt when the request's id could not be read
    ErrorCode code = ErrorCode::failed;
    std::string message;
};

// Parses and validates one request line (without its newline): the envelope, the command, and the names,
// types and values of its arguments. Never throws. Fields of the request other than v, id, cmd and args are
// ignored. Checked in this order: size, JSON, v, id, cmd, then unknown argument names, then each argument in
// the order the command lists them.
std::variant<Request, ProtocolError> parse_request(std::string_view line);

// One request line, newline included: {"v":1,"id":ID,"cmd":NAME,"args":{...}}, the arguments that the
// command holds (an optional argument it does not hold is left out). parse_request reads it back as `command`.
std::string encode_request(std::int64_t id, const Command& command);
// The "args" object of encode_request.
nlohmann::json encode_arguments(const Command& command);
// A request line with any command name and arguments, for sending what no Command can hold (tests).
std::string make_request(std::int64_t id, std::string_view cmd, const nlohmann::json& args = nlohmann::json::object());

}  // namespace corral::protocol
