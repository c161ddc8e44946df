#pragma once
// Checks one json-mode message before the broker forwards it: it must be a complete, valid JSON text (a
// receiver that gets anything else throws in its channel handler and dies). Also reads what routing needs:
// a top-level "$to" string, and whether it is one of Node's internal messages (an object whose "cmd"
// starts with "NODE_": handle passing and cluster traffic, which must not cross to another process).
// Backed by simdjson (validates UTF-8 and structure at gigabytes per second).
#include <optional>
#include <string>
#include <string_view>

namespace corral::ipc {

struct JsonMessage {
    bool valid = false;
    std::string error;              // why not, when !valid ("invalid JSON at byte 12: ...")
    bool internal = false;          // {"cmd":"NODE_...", ...}
    std::optional<std::string> to;  // top-level "$to" when it is a string
};

// `payload` is the text without its newline.
JsonMessage inspect_json_message(std::string_view payload);

}  // namespace corral::ipc
