#pragma once
// The JSON grammar exactly as JSON.parse takes it (ECMA-404), checked byte by byte: numbers of any
// magnitude, any \uXXXX escape (lone surrogates too), any depth (the nesting lives on the heap, one byte
// a level, so it is bounded by the message). UTF-8 must be valid (see json_message.hpp).
//
// The slow path of inspect_json_message, for the texts simdjson refuses but a receiver would take; also
// the fuzzer's reference for simdjson's verdicts. Reads the same routing fields: the last top-level "cmd"
// and "$to" win, as with JSON.parse (a string with a lone surrogate is kept as WTF-8).
#include <string_view>

#include "ipc/json_message.hpp"

namespace corral::ipc {

// On invalid text, `error` says where: "invalid JSON at byte 12: expected ':' after an object key".
JsonMessage check_json_grammar(std::string_view text);

}  // namespace corral::ipc
