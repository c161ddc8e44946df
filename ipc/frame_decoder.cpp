#include "ipc/frame_decoder.hpp"

#include <algorithm>

namespace corral::ipc {
namespace {

constexpr std::size_t kLengthBytes = 4;
constexpr unsigned char kV8Header[] = {0xFF, 0x0F};

std::size_t read_length(std::string_view bytes) {
    const auto byte = [&](std::size_t i) { return std::size_t{static_cast<unsigned char>(bytes[i])}; };
    return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

}  // namespace

void FrameDecoder::feed(std::string_view bytes, const Sink& sink) {
    if (mode_ == Serialization::json) {
        feed_json(bytes, sink);
    } else {
        feed_advanced(bytes, sink);
    }
}

// One whole line, with its "\n".
void FrameDecoder::json_line(std::string_view frame, const Sink& sink) const {
    const std::string_view payload = frame.substr(0, frame.size() - 1);
    if (payload.empty()) return;
    if (payload.size() > max_message_) {
        sink.error(FrameError::too_large, payload.size());
        return;
    }
    sink.frame(frame, payload);
}

void FrameDecoder::feed_json(std::string_view bytes, const Sink& sink) {
    std::size_t pos = 0;
    // First the line an earlier read left open: an oversized one being skipped, or the start of one.
    if (skipping_line_ || !partial_.empty()) {
        const std::size_t newline = bytes.find('\n');
        const std::size_t piece = newline == std::string_view::npos ? bytes.size() : newline;
        if (!skipping_line_ && partial_.size() + piece > max_message_) {
            // Too long now: forget what was held and count the rest of the line as it streams past.
            skipping_line_ = true;
            skipping_ = partial_.size();
            partial_.clear();
        }
        if (skipping_line_) {
            skipping_ += piece;
            if (newline == std::string_view::npos) return;
            sink.error(FrameError::too_large, skipping_);
            skipping_line_ = false;
            skipping_ = 0;
        } else {
            if (newline == std::string_view::npos) {
                partial_.append(bytes);
                return;
            }
            partial_.append(bytes.substr(0, newline + 1));
            json_line(partial_, sink);
            partial_.clear();
        }
        pos = newline + 1;
    }
    // Then whole lines straight from the read, and the tail kept (or, too long already, skipped).
    while (pos < bytes.size()) {
        const std::size_t newline = bytes.find('\n', pos);
        if (newline == std::string_view::npos) {
            const std::string_view tail = bytes.substr(pos);
            if (tail.size() > max_message_) {
                skipping_line_ = true;
                skipping_ = tail.size();
            } else {
                partial_.assign(tail);
            }
            return;
        }
        json_line(bytes.substr(pos, newline + 1 - pos), sink);
        pos = newline + 1;
    }
}

// Looks at a frame starting at bytes[0]. Returns how many bytes it used: a whole frame handed to the sink,
// or the length of a refused frame (whose payload is then counted in skipping_); 0 when more bytes are
// needed to decide.
std::size_t FrameDecoder::advanced_frame(std::string_view bytes, const Sink& sink) {
    if (bytes.size() < kLengthBytes) return 0;
    const std::size_t length = read_length(bytes);
    if (length > max_message_) {
        sink.error(FrameError::too_large, length);
        skipping_ = length;
        return kLengthBytes;
    }
    const bool header_seen = bytes.size() >= kLengthBytes + sizeof kV8Header;
    if (length < sizeof kV8Header ||
        (header_seen && (static_cast<unsigned char>(bytes[kLengthBytes]) != kV8Header[0] ||
                         static_cast<unsigned char>(bytes[kLengthBytes + 1]) != kV8Header[1]))) {
        sink.error(FrameError::bad_header, length);
        skipping_ = length;
        return kLengthBytes;
    }
    if (bytes.size() - kLengthBytes < length) return 0;
    sink.frame(bytes.substr(0, kLengthBytes + length), bytes.substr(kLengthBytes, length));
    return kLengthBytes + length;
}

void FrameDecoder::feed_advanced(std::string_view bytes, const Sink& sink) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        if (skipping_ > 0) {
            const std::size_t skipped = std::min(skipping_, bytes.size() - pos);
            skipping_ -= skipped;
            pos += skipped;
            continue;
        }
        if (partial_.empty()) {
            const std::size_t used = advanced_frame(bytes.substr(pos), sink);
            if (used == 0) {
                partial_.assign(bytes.substr(pos));
                return;
            }
            pos += used;
            continue;
        }
        // Top the held frame up: its length first, then (the length being acceptable) the rest of it,
        // never more, so that a frame completed here uses all of partial_.
        const std::size_t wanted =
            partial_.size() < kLengthBytes ? kLengthBytes : kLengthBytes + read_length(partial_);
        const std::size_t taken = std::min(wanted - partial_.size(), bytes.size() - pos);
        partial_.append(bytes.substr(pos, taken));
        pos += taken;
        const std::size_t used = advanced_frame(partial_, sink);
        if (used == 0) continue;
        skipping_ -= partial_.size() - used;  // a refused frame: its payload bytes held here are skipped
        partial_.clear();
    }
}

}  // namespace corral::ipc
