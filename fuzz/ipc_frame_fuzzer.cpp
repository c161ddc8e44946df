// libFuzzer target: arbitrary bytes as what a worker writes on its Node IPC channel.
//
// Input: [flags][chunking][seed] then the stream. flags bit 0: advanced (else json); bits 1-3: max_message
// from kMaxMessages. chunking: 0 feeds the stream in one read, else reads are 1..chunking bytes long, as
// a generator seeded with `seed` draws them.
//
// The decoder must give exactly what a plain, whole-stream reference decoder gives, whatever the reads;
// hold no more than one allowed frame; and hand out only well-formed frames. Every json payload then goes
// through inspect_json_message, whose verdict and routing fields must match the exact grammar walker and,
// where nlohmann::json accepts the text (it is stricter: no lone surrogates, no infinite numbers), its too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipc/frame_decoder.hpp"
#include "ipc/json_grammar.hpp"
#include "ipc/json_message.hpp"

namespace {

using corral::ipc::FrameDecoder;
using corral::ipc::FrameError;
using corral::ipc::JsonMessage;
using corral::ipc::Serialization;

constexpr std::size_t kMaxMessages[] = {0, 1, 2, 3, 7, 16, 300, 1 << 20};

void check(bool condition) {
    if (!condition) std::abort();
}

struct Event {
    int kind;  // 0 frame, 1 too_large, 2 bad_header
    std::size_t bytes;
    std::string payload;
    bool operator==(const Event&) const = default;
};

std::size_t read_length(std::string_view bytes) {
    std::size_t length = 0;
    for (std::size_t i = 0; i < 4; ++i) length = length << 8 | static_cast<unsigned char>(bytes[i]);
    return length;
}

// The framing rules applied to the whole stream at once, by the simplest means.
std::vector<Event> reference(Serialization mode, std::size_t max_message, std::string_view stream) {
    std::vector<Event> events;
    if (mode == Serialization::json) {
        std::size_t start = 0;
        for (std::size_t newline; (newline = stream.find('\n', start)) != std::string_view::npos; start = newline + 1) {
            const std::string_view line = stream.substr(start, newline - start);
            if (line.empty()) continue;
            if (line.size() > max_message) {
                events.push_back({1, line.size(), {}});
            } else {
                events.push_back({0, line.size(), std::string(line)});
            }
        }
        return events;
    }
    std::size_t at = 0;
    while (stream.size() - at >= 4) {
        const std::size_t length = read_length(stream.substr(at));
        const std::string_view rest = stream.substr(at + 4);
        if (length > max_message) {
            events.push_back({1, length, {}});
        } else if (length < 2 || (rest.size() >= 2 && (rest.substr(0, 2) != std::string_view("\xff\x0f", 2)))) {
            events.push_back({2, length, {}});
        } else if (rest.size() >= length) {
            events.push_back({0, length, std::string(rest.substr(0, length))});
        } else {
            break;  // an acceptable frame, not all there
        }
        if (rest.size() < length) break;  // the rest belongs to a skipped frame
        at += 4 + length;
    }
    return events;
}

// Where nlohmann::json (an independent, strict parser) reads the text, its reading must agree.
void compare_with_nlohmann(std::string_view text, const JsonMessage& message) {
    if (text.starts_with("\xef\xbb\xbf")) return;  // nlohmann skips a byte order mark; JSON.parse does not
    // nlohmann takes a NUL byte for the end of the input ("{}\0" parses); to JSON.parse it is an error.
    if (text.find('\0') != std::string_view::npos) return;
    nlohmann::json value;
    try {
        value = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        return;
    }
    check(message.valid);
    std::optional<std::string> cmd;
    std::optional<std::string> to;
    if (value.is_object()) {
        if (const auto it = value.find("cmd"); it != value.end() && it->is_string()) cmd = it->get<std::string>();
        if (const auto it = value.find("$to"); it != value.end() && it->is_string()) to = it->get<std::string>();
    }
    check(message.internal == (cmd && corral::ipc::is_internal_cmd(*cmd)));
    check(message.to == to);
}

void inspect(std::string_view payload) {
    const JsonMessage message = corral::ipc::inspect_json_message(payload);
    const JsonMessage exact = corral::ipc::check_json_grammar(payload);
    check(message.valid == exact.valid);
    check(message.valid == message.error.empty());
    check(exact.valid == exact.error.empty());
    check(message.valid || message.error.starts_with("invalid JSON"));
    check(message.internal == exact.internal && message.to == exact.to);
    check(message.valid || (!message.internal && !message.to));
    compare_with_nlohmann(payload, message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const auto mode = (data[0] & 1) != 0 ? Serialization::advanced : Serialization::json;
    const std::size_t max_message = kMaxMessages[(data[0] >> 1) & 7];
    const std::size_t chunking = data[1];
    std::uint32_t state = data[2] * 2654435761u + 1;
    const std::string_view stream(reinterpret_cast<const char*>(data) + 3, size - 3);

    std::vector<Event> events;
    FrameDecoder decoder(mode, max_message);
    const FrameDecoder::Sink sink{
        [&](std::string_view frame, std::string_view payload) {
            check(!payload.empty() && payload.size() <= max_message);
            if (mode == Serialization::json) {
                check(frame.size() == payload.size() + 1 && frame.back() == '\n');
                check(frame.data() == payload.data() && payload.find('\n') == std::string_view::npos);
            } else {
                check(frame.size() == payload.size() + 4 && frame.data() + 4 == payload.data());
                check(read_length(frame) == payload.size() && payload.starts_with(std::string_view("\xff\x0f", 2)));
            }
            events.push_back({0, payload.size(), std::string(payload)});
        },
        [&](FrameError error, std::size_t bytes) {
            check(error == FrameError::too_large ? bytes > max_message
                                                  : mode == Serialization::advanced && bytes <= max_message);
            events.push_back({error == FrameError::too_large ? 1 : 2, bytes, {}});
        },
    };
    std::size_t at = 0;
    while (at < stream.size()) {
        std::size_t length = stream.size() - at;
        if (chunking != 0) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            length = std::min<std::size_t>(length, 1 + state % chunking);
        }
        // Its own allocation, as a read buffer is, so that ASan sees a view used past the call.
        const std::string read(stream.substr(at, length));
        decoder.feed(read, sink);
        at += length;
        check(decoder.pending() <= max_message + 4);
    }

    check(events == reference(mode, max_message, stream));
    if (mode == Serialization::json) {
        for (const auto& event : events) {
            if (event.kind == 0) inspect(event.payload);
        }
    }
    return 0;
}
