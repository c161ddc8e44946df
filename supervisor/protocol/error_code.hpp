#pragma once
// The error codes of the control protocol, each with its name on the wire ("bad_args"). What each one
// means is in control_protocol.hpp.
#include <string_view>

namespace corral::protocol {

enum class ErrorCode {
    bad_json,
    bad_request,
    unsupported_version,
    unknown_command,
    bad_args,
    too_large,
    forbidden,
    not_found,
    invalid_config,
    shutting_down,
    slow_client,
    wait_failed,
    timeout,
    not_running,
    failed,
};

std::string_view wire_name(ErrorCode code);

}  // namespace corral::protocol
