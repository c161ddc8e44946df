#pragma once
// Splits the bytes read from a Node IPC channel into whole frames, without ever handing out a partial one
// (one malformed line kills a Node receiver: only validated, complete frames may be forwarded).
//   json      JSON.stringify(message) + "\n" per message (NODE_CHANNEL_SERIALIZATION_MODE unset or "json")
//   advanced  a 4-byte big-endian payload length, then a V8 serializer payload starting FF 0F
// A frame longer than max_message is skipped whole (json: up to its newline; advanced: its declared
// length) and reported as one `too_large` error; memory stays bounded by max_message plus one read.
// An empty json line is not a message (JSON.parse("") throws): it is dropped silently.
//
// Zero-copy: a frame that lies whole inside the bytes fed is handed out as views into them; only the
// incomplete tail of a read is copied (into `partial_`), and a frame completed from it is handed out from
// there. Not reentrant: the sink must not feed this decoder.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace corral::ipc {

enum class Serialization { json, advanced };

enum class FrameError {
    too_large,    // longer than max_message; skipped
    bad_header,   // advanced: the payload does not start with the V8 serializer header (FF 0F), or is
                  // shorter than it; skipped
};
// The `bytes` of an error is the length of the message it skipped, without its framing (the quantity
// compared with max_message): json, the line without its "\n", reported once the newline arrives;
// advanced, the declared length, reported as soon as the length (too_large) or the first two payload
// bytes (bad_header) arrive.

class FrameDecoder {
public:
    // `frame` is the whole frame as it travels on the wire (json: with its "\n"; advanced: with its
    // 4-byte length), valid only during the call. `payload` is the message without the framing.
    struct Sink {
        std::function<void(std::string_view frame, std::string_view payload)> frame;
        std::function<void(FrameError error, std::size_t bytes)> error;
    };

    FrameDecoder(Serialization mode, std::size_t max_message) : mode_(mode), max_message_(max_message) {}

    void feed(std::string_view bytes, const Sink& sink);
    // Bytes held for an incomplete frame.
    std::size_t pending() const { return partial_.size(); }

private:
    void feed_json(std::string_view bytes, const Sink& sink);
    void feed_advanced(std::string_view bytes, const Sink& sink);
    void json_line(std::string_view frame, const Sink& sink) const;
    std::size_t advanced_frame(std::string_view bytes, const Sink& sink);

    Serialization mode_;
    std::size_t max_message_;
    std::string partial_;          // the start of an incomplete frame, never longer than max_message (+4)
    std::size_t skipping_ = 0;     // advanced: bytes of a refused frame still to skip;
                                   // json: bytes of the oversized line skipped so far
    bool skipping_line_ = false;   // json: inside an oversized line
};

}  // namespace corral::ipc
