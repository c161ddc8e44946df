#include "ipc/json_message.hpp"

#include <simdjson.h>

#include "ipc/json_grammar.hpp"

namespace corral::ipc {
namespace {

// A dom::parser keeps buffers of about five times the largest document it has parsed (tape, strings,
// structural indexes, a padded copy of the input). The kept one only ever sees messages up to this size.
constexpr std::size_t kKeptParserLimit = 1u << 20;

// The verdicts of simdjson that JSON.parse may not share (see json_message.hpp).
bool refused_for_simdjson_only(simdjson::error_code error) {
    return error == simdjson::NUMBER_ERROR || error == simdjson::STRING_ERROR || error == simdjson::DEPTH_ERROR;
}

JsonMessage inspect_with(simdjson::dom::parser& parser, std::string_view payload) {
    simdjson::dom::element root;
    // realloc_if_needed: the payload (a view into a read buffer) has no padding, so simdjson copies it
    // into the parser's own padded buffer, which it keeps and reuses.
    const simdjson::error_code error = parser.parse(payload.data(), payload.size(), true).get(root);
    if (refused_for_simdjson_only(error)) return check_json_grammar(payload);
    JsonMessage message;
    if (error) {
        message.error = std::string("invalid JSON: ") + simdjson::error_message(error);
        return message;
    }
    message.valid = true;
    simdjson::dom::object object;
    if (root.get_object().get(object)) return message;
    // Every member, not the first match: with duplicate keys JSON.parse keeps the last.
    std::optional<std::string_view> cmd;
    std::optional<std::string_view> to;
    for (const auto member : object) {
        std::optional<std::string_view>* field = member.key == "cmd" ? &cmd : member.key == "$to" ? &to : nullptr;
        if (field == nullptr) continue;
        std::string_view text;
        if (member.value.get_string().get(text) == simdjson::SUCCESS) {
            *field = text;
        } else {
            field->reset();
        }
    }
    message.internal = cmd && is_internal_cmd(*cmd);
    if (message.internal) message.cmd.emplace(*cmd);
    if (to) message.to.emplace(*to);
    return message;
}

}  // namespace

bool is_internal_cmd(std::string_view cmd) {
    constexpr std::string_view kPrefix = "NODE_";
    return cmd.size() > kPrefix.size() && cmd.starts_with(kPrefix);
}

JsonMessage inspect_json_message(std::string_view payload) {
    if (payload.size() > kKeptParserLimit) {
        simdjson::dom::parser parser;
        return inspect_with(parser, payload);
    }
    thread_local simdjson::dom::parser parser;
    return inspect_with(parser, payload);
}

}  // namespace corral::ipc
