#pragma once
// The lines the daemon writes on the control socket: replies to requests and the events of a stream. One
// line each, newline included; invalid UTF-8 in any string becomes U+FFFD, so writing one never throws.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "supervisor/protocol/error_code.hpp"

namespace corral::protocol {

// {"id":ID,"ok":true,"result":RESULT}
std::string reply_ok(std::int64_t id, const nlohmann::json& result);
// The same, for a result whose keys keep the order they were built in (a post-mortem bundle's JSON).
std::string reply_ok_ordered(std::int64_t id, const nlohmann::ordered_json& result);
// {"id":ID,"ok":false,"error":{"code":CODE,"message":MESSAGE[,"details":DETAILS]}}; "id":null for nullopt.
std::string reply_error(std::optional<std::int64_t> id, ErrorCode code, std::string_view message,
                        const nlohmann::json& details = nullptr);
// {"id":ID,"event":EVENT}
std::string stream_event(std::int64_t id, const nlohmann::json& event);
// The event as written on the wire (stream_event without its id), to serialize once for many followers.
std::string event_text(const nlohmann::json& event);
// {"id":ID,"event":TEXT} from event_text()'s TEXT.
std::string stream_event_text(std::int64_t id, std::string_view text);

}  // namespace corral::protocol
