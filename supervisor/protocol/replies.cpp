#include "supervisor/protocol/replies.hpp"

#include "supervisor/protocol/messages.hpp"

namespace corral::protocol {
namespace {

std::string ok_line(std::int64_t id, const std::string& result) {
    return "{\"id\":" + std::to_string(id) + ",\"ok\":true,\"result\":" + result + "}\n";
}

}  // namespace

std::string reply_ok(std::int64_t id, const nlohmann::json& result) { return ok_line(id, detail::dump(result)); }

std::string reply_ok_ordered(std::int64_t id, const nlohmann::ordered_json& result) {
    return ok_line(id, result.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

std::string reply_error(std::optional<std::int64_t> id, ErrorCode code, std::string_view message,
                        const nlohmann::json& details) {
    const std::string id_text = id ? std::to_string(*id) : "null";
    std::string line = "{\"id\":" + id_text + ",\"ok\":false,\"error\":{\"code\":" + detail::quoted_name(wire_name(code)) +
                       ",\"message\":" + detail::quoted_name(message);
    if (!details.is_null()) line += ",\"details\":" + detail::dump(details);
    return line + "}}\n";
}

std::string stream_event(std::int64_t id, const nlohmann::json& event) { return stream_event_text(id, event_text(event)); }

std::string event_text(const nlohmann::json& event) { return detail::dump(event); }

std::string stream_event_text(std::int64_t id, std::string_view text) {
    std::string line = "{\"id\":" + std::to_string(id) + ",\"event\":";
    line.reserve(line.size() + text.size() + 2);
    line.append(text);
    line.append("}\n");
    return line;
}

}  // namespace corral::protocol
