#pragma once
// Checks one json-mode message before the broker forwards it: it must be a complete, valid JSON text (a
// receiver that gets anything else throws in its channel handler and dies). Also reads what routing needs:
// a top-level "$to" string, and whether it is one of Node's internal messages (an object whose "cmd"
// starts with "NODE_": handle passing and cluster traffic, which must not cross to another process).
// Backed by simdjson (validates UTF-8 and structure at gigabytes per second).
//
// Valid means what JSON.parse in the receiver accepts, with one deliberate exception: invalid UTF-8 is
// refused (Node would decode it to U+FFFD; JSON.stringify never produces it). simdjson 3.0 refuses some
// texts that JSON.parse takes and JSON.stringify writes: integers past 2^64 (JSON.stringify(1e20) is
// "100000000000000000000"), numbers past the double range, escaped lone surrogates ("\ud800", from a
// string cut in the middle of an emoji), nesting deeper than 1024. Those messages get a second, exact
// look from check_json_grammar (json_grammar.hpp) before they are refused.
#include <optional>
#include <string>
#include <string_view>

namespace corral::ipc {

struct JsonMessage {
    bool valid = false;
    std::string error;              // why not, when !valid ("invalid JSON at byte 12: ...")
    bool internal = false;          // {"cmd":"NODE_...", ...}
    std::optional<std::string> cmd;  // that "cmd", for an internal message
    std::optional<std::string> to;  // top-level "$to" when it is a string
};

// `payload` is the text without its newline. Uses one parser per thread, kept between calls (messages past
// 1 MiB get their own, freed afterwards, so that memory does not stay at the largest message seen).
JsonMessage inspect_json_message(std::string_view payload);

// Node's rule for an internal message's "cmd" (lib/internal/child_process.js, isInternal): a string
// starting "NODE_" and longer than that.
bool is_internal_cmd(std::string_view cmd);

}  // namespace corral::ipc
