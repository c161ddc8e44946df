// libFuzzer target: arbitrary bytes as one control-socket request line. parse_request must never throw or
// crash; whatever it accepts must survive the trip through encode_request (the CLI's side) as the same typed
// request, and be answerable with reply_ok / reply_error as one line of valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "supervisor/protocol/control_protocol.hpp"

namespace {

using corral::protocol::ErrorCode;
using corral::protocol::ProtocolError;
using corral::protocol::Request;

// One line, newline-terminated, that parses as JSON.
void check_line(const std::string& line) {
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
    if (!nlohmann::json::accept(std::string_view(line).substr(0, line.size() - 1))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto parsed = corral::protocol::parse_request(line);

    if (const auto* error = std::get_if<ProtocolError>(&parsed)) {
        // "failed" would mean parse_request caught an exception it did not expect.
        if (error->code == ErrorCode::failed || error->message.empty()) std::abort();
        check_line(corral::protocol::reply_error(error->id, error->code, error->message));
        return 0;
    }

    const auto& request = std::get<Request>(parsed);
    const std::string again = corral::protocol::encode_request(request.id, request.command);
    check_line(again);
    const auto reparsed = corral::protocol::parse_request(std::string_view(again).substr(0, again.size() - 1));
    const auto* same = std::get_if<Request>(&reparsed);
    if (same == nullptr || *same != request) std::abort();
    const nlohmann::json args = corral::protocol::encode_arguments(request.command);
    check_line(corral::protocol::reply_ok(request.id, args));
    const std::string name(name_of(request.command));
    check_line(corral::protocol::stream_event(request.id, {{"args", args}, {"cmd", name}}));
    return 0;
}
