#include "supervisor/protocol/error_code.hpp"

namespace corral::protocol {

std::string_view wire_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::bad_json: return "bad_json";
        case ErrorCode::bad_request: return "bad_request";
        case ErrorCode::unsupported_version: return "unsupported_version";
        case ErrorCode::unknown_command: return "unknown_command";
        case ErrorCode::bad_args: return "bad_args";
        case ErrorCode::too_large: return "too_large";
        case ErrorCode::forbidden: return "forbidden";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::invalid_config: return "invalid_config";
        case ErrorCode::shutting_down: return "shutting_down";
        case ErrorCode::slow_client: return "slow_client";
        case ErrorCode::wait_failed: return "wait_failed";
        case ErrorCode::timeout: return "timeout";
        case ErrorCode::not_running: return "not_running";
        case ErrorCode::failed: return "failed";
    }
    return "failed";
}

}  // namespace corral::protocol
