#pragma once
// From a command name and an "args" object to a typed Command, with the message the protocol answers when
// either is wrong. Internal to supervisor/protocol/: parse_request reads the envelope, then this.
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "supervisor/protocol/commands.hpp"
#include "supervisor/protocol/error_code.hpp"

namespace corral::protocol::detail {

struct CommandProblem {
    ErrorCode code = ErrorCode::bad_args;  // unknown_command or bad_args
    std::string message;
};

// Unknown argument names are reported first (most often they are a missing one misspelt), then each argument
// in the order Fields<> lists it: missing when required, or of the wrong type or value.
std::variant<Command, CommandProblem> read_command(std::string_view name, const nlohmann::json& args);

}  // namespace corral::protocol::detail
