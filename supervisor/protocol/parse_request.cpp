// parse_request: the envelope of a request line ({"v":1,"id":7,"cmd":"restart","args":{...}}), read in the
// order the messages promise: size, JSON, id (kept for every later answer), v, cmd, args. The command and its
// arguments are read_command's.
#include <exception>
#include <string>

#include "supervisor/protocol/messages.hpp"
#include "supervisor/protocol/read_command.hpp"
#include "supervisor/protocol/request.hpp"

namespace corral::protocol {
namespace {

using nlohmann::json;
using namespace detail;

constexpr std::uint64_t kLargestId = std::uint64_t{1} << 53;  // the largest integer a double holds exactly
constexpr std::string_view kCommandForm = "a command name such as \"status\"";

ProtocolError error(std::optional<std::int64_t> id, ErrorCode code, std::string message) {
    return ProtocolError{id, code, std::move(message)};
}

// `byte` counts from 1, as nlohmann::json counts.
ProtocolError syntax_error(std::size_t byte) {
    return error(std::nullopt, ErrorCode::bad_json,
                 "request is not valid JSON (syntax error at byte " + std::to_string(byte) + ")");
}

// A float beyond the range of a double, such as 1e400: nlohmann says "... number overflow parsing '1e400'".
ProtocolError out_of_range(std::string_view what) {
    const std::size_t open = what.find('\'');
    const std::size_t close = what.rfind('\'');
    const std::string_view number =
        open < close && close != std::string_view::npos ? what.substr(open + 1, close - open - 1) : what;
    return error(std::nullopt, ErrorCode::bad_json,
                 "request is not valid JSON (number out of range: " + std::string(number.substr(0, kLongestQuote)) +
                     (number.size() > kLongestQuote ? "...)" : ")"));
}

// The line as a JSON object.
std::variant<json, ProtocolError> read_object(std::string_view line) {
    if (line.size() > kMaxRequestBytes) {
        return error(std::nullopt, ErrorCode::too_large,
                     "request of " + std::to_string(line.size()) + " bytes is longer than the limit of " +
                         std::to_string(kMaxRequestBytes) + " bytes");
    }
    // nlohmann::json takes a NUL byte for the end of the input, and would accept `{...}\0anything`. A
    // raw NUL is never valid JSON (in a string it has to be escaped), so it is a syntax error where it is.
    if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos) return syntax_error(nul + 1);
    json request;
    try {
        request = json::parse(line.begin(), line.end());
    } catch (const json::parse_error& e) {
        return syntax_error(e.byte);
    } catch (const json::out_of_range& e) {
        return out_of_range(e.what());
    }
    if (!request.is_object()) {
        return error(std::nullopt, ErrorCode::bad_json, "request is not a JSON object (got " + describe(request) + ")");
    }
    return request;
}

// The id, or what is wrong with it.
std::variant<std::int64_t, std::string> read_id(const json& request) {
    const std::string form = "an integer from 0 to " + std::to_string(kLargestId);
    const auto field = request.find("id");
    if (field == request.end()) return "missing \"id\" (expected " + form + ")";
    if (!field->is_number_integer()) return wrong_type("id", form, *field);
    const auto number = integer_of(*field);
    if (!number || *number < 0 || static_cast<std::uint64_t>(*number) > kLargestId) return bad_value("id", form, *field);
    return *number;
}

std::optional<ProtocolError> check_version(const json& request, std::optional<std::int64_t> id) {
    const auto version = request.find("v");
    const std::string form = "the protocol version " + std::to_string(kProtocolVersion);
    if (version == request.end()) return error(id, ErrorCode::bad_request, "missing \"v\" (expected " + form + ")");
    if (!version->is_number_integer()) return error(id, ErrorCode::bad_request, wrong_type("v", form, *version));
    if (const auto number = integer_of(*version); !number || *number != kProtocolVersion) {
        return error(id, ErrorCode::unsupported_version,
                     "protocol version " + dump(*version) + " is not supported (this daemon speaks version " +
                         std::to_string(kProtocolVersion) + ")");
    }
    return std::nullopt;
}

// The command and its arguments, once the id and the version are known to be good.
std::variant<Request, ProtocolError> read_command_of(json& request, std::int64_t id) {
    const auto cmd = request.find("cmd");
    if (cmd == request.end()) {
        return error(id, ErrorCode::bad_request, "missing \"cmd\" (expected " + std::string(kCommandForm) + ")");
    }
    if (!cmd->is_string()) return error(id, ErrorCode::bad_request, wrong_type("cmd", kCommandForm, *cmd));
    json args = json::object();
    if (const auto field = request.find("args"); field != request.end()) {
        if (!field->is_object()) return error(id, ErrorCode::bad_request, wrong_type("args", "an object", *field));
        args = std::move(*field);
    }
    auto command = read_command(cmd->get_ref<const std::string&>(), args);
    if (auto* problem = std::get_if<CommandProblem>(&command)) {
        return error(id, problem->code, std::move(problem->message));
    }
    return Request{id, std::move(std::get<Command>(command))};
}

std::variant<Request, ProtocolError> parse_envelope(std::string_view line) {
    auto object = read_object(line);
    if (auto* problem = std::get_if<ProtocolError>(&object)) return std::move(*problem);
    json& request = std::get<json>(object);
    // The id first, so that every later error can be answered with it; then the version, since a request of
    // another version may not even have our kind of id.
    const auto id = read_id(request);
    const auto* good_id = std::get_if<std::int64_t>(&id);
    auto problem = check_version(request, good_id ? std::optional(*good_id) : std::nullopt);
    if (problem) return std::move(*problem);
    if (!good_id) return error(std::nullopt, ErrorCode::bad_request, std::get<std::string>(id));
    return read_command_of(request, *good_id);
}

}  // namespace

std::variant<Request, ProtocolError> parse_request(std::string_view line) {
    try {
        return parse_envelope(line);
    } catch (const std::exception& e) {
        // Out of memory, or a bug: the request still gets an answer.
        return error(std::nullopt, ErrorCode::failed, std::string("cannot read the request: ") + e.what());
    }
}

}  // namespace corral::protocol
