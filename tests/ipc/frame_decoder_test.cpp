// The Node channel's framing: whole frames only, whatever the read boundaries; views into the read when a
// frame lies inside it; oversized and malformed frames skipped without holding them, and the next intact.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/frame_decoder.hpp"
#include "tests/support/doctest_strings.hpp"

using corral::ipc::FrameDecoder;
using corral::ipc::FrameError;
using corral::ipc::Serialization;

namespace {

std::string printable(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
            text += c;
        } else {
            text += "\\x";
            text += kHex[byte >> 4];
            text += kHex[byte & 15];
        }
    }
    return text;
}

std::size_t length_of(std::string_view frame) {
    std::size_t length = 0;
    for (std::size_t i = 0; i < 4; ++i) length = length << 8 | static_cast<unsigned char>(frame[i]);
    return length;
}

// An advanced-mode frame: a 4-byte big-endian length, then the payload.
std::string advanced(std::string_view payload, std::uint32_t length) {
    std::string frame;
    for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>(length >> shift & 0xff);
    return frame + std::string(payload);
}
std::string advanced(std::string_view payload) { return advanced(payload, static_cast<std::uint32_t>(payload.size())); }

// Real V8 serializer payloads (Node 20: v8.serialize(...)).
const std::string kV8Object("\xff\x0f\x6f\x22\x01\x61\x49\x02\x7b\x01", 10);  // {a: 1}
const std::string kV8String("\xff\x0f\x22\x02\x68\x69", 6);                   // "hi"
const std::string kV8Null("\xff\x0f\x30", 3);                                 // null

struct Decoded {
    std::vector<std::string> events;  // "frame PAYLOAD", "too_large N", "bad_header N"
    std::size_t views = 0;            // frames handed out as views into the bytes being fed
    std::size_t copies = 0;           // frames handed out from the decoder's own buffer
    std::size_t most_pending = 0;
};

// Feeds the chunks (each its own allocation, as reads are) and records what comes out.
Decoded decode(Serialization mode, std::size_t max_message, const std::vector<std::string>& chunks) {
    Decoded decoded;
    FrameDecoder decoder(mode, max_message);
    std::string_view chunk;
    const FrameDecoder::Sink sink{
        [&](std::string_view frame, std::string_view payload) {
            if (mode == Serialization::json) {
                CHECK(frame == std::string(payload) + "\n");
            } else {
                REQUIRE(frame.size() == payload.size() + 4);
                CHECK(frame.substr(4) == payload);
                CHECK(length_of(frame) == payload.size());
            }
            CHECK(payload.size() <= max_message);
            const bool view = frame.data() >= chunk.data() && frame.data() + frame.size() <= chunk.data() + chunk.size();
            ++(view ? decoded.views : decoded.copies);
            decoded.events.push_back("frame " + printable(payload));
        },
        [&](FrameError error, std::size_t bytes) {
            decoded.events.push_back((error == FrameError::too_large ? "too_large " : "bad_header ") +
                                     std::to_string(bytes));
        },
    };
    for (const auto& bytes : chunks) {
        chunk = bytes;
        decoder.feed(bytes, sink);
        decoded.most_pending = std::max(decoded.most_pending, decoder.pending());
    }
    return decoded;
}

std::vector<std::string> split(std::string_view stream, const std::vector<std::size_t>& cuts) {
    std::vector<std::string> chunks;
    std::size_t from = 0;
    for (const std::size_t cut : cuts) {
        chunks.emplace_back(stream.substr(from, cut - from));
        from = cut;
    }
    chunks.emplace_back(stream.substr(from));
    return chunks;
}

std::vector<std::string> bytewise(std::string_view stream) {
    std::vector<std::string> chunks;
    for (const char c : stream) chunks.emplace_back(1, c);
    return chunks;
}

// The same events for the stream in one read, cut once anywhere, cut twice anywhere, and byte by byte;
// and never more held than an allowed frame.
void check_every_cut(Serialization mode, std::size_t max_message, const std::string& stream,
                     const std::vector<std::string>& expected) {
    const std::size_t most_held = max_message + (mode == Serialization::advanced ? 4 : 0);
    CHECK(decode(mode, max_message, {stream}).events == expected);
    for (std::size_t first = 0; first <= stream.size(); ++first) {
        CAPTURE(first);
        const auto once = decode(mode, max_message, split(stream, {first}));
        CHECK(once.events == expected);
        CHECK(once.most_pending <= most_held);
        for (std::size_t second = first; second <= stream.size(); ++second) {
            CAPTURE(second);
            CHECK(decode(mode, max_message, split(stream, {first, second})).events == expected);
        }
    }
    const auto bytes = decode(mode, max_message, bytewise(stream));
    CHECK(bytes.events == expected);
    CHECK(bytes.most_pending <= most_held);
}

}  // namespace

TEST_CASE("frame decoder json: whole lines inside one read are views into it - the tail is held") {
    const auto decoded = decode(Serialization::json, 64, {"{\"a\":1}\n[2]\n\"three\"\n{\"fo", "ur\":4}\n"});
    CHECK(decoded.events ==
          std::vector<std::string>{"frame {\"a\":1}", "frame [2]", "frame \"three\"", "frame {\"four\":4}"});
    CHECK(decoded.views == 3);
    CHECK(decoded.copies == 1);
    CHECK(decoded.most_pending == 4);

    FrameDecoder decoder(Serialization::json, 64);
    const FrameDecoder::Sink sink{[](std::string_view, std::string_view) {}, [](FrameError, std::size_t) {}};
    decoder.feed("{\"a\":", sink);
    CHECK(decoder.pending() == 5);
    decoder.feed("1}\n{", sink);
    CHECK(decoder.pending() == 1);
    decoder.feed("}\n", sink);
    CHECK(decoder.pending() == 0);
}

TEST_CASE("frame decoder json: empty lines are skipped silently - other whitespace is the validator's") {
    CHECK(decode(Serialization::json, 64, {"\n\n{}\n\n\n[]\n"}).events == std::vector<std::string>{"frame {}", "frame []"});
    CHECK(decode(Serialization::json, 64, {"\n", "\n", "1", "\n", "\n"}).events == std::vector<std::string>{"frame 1"});
    CHECK(decode(Serialization::json, 64, {" \n\r\n"}).events == std::vector<std::string>{"frame  ", "frame \\x0d"});
}

TEST_CASE("frame decoder json: a line of exactly max_message passes - one byte more is too large") {
    CHECK(decode(Serialization::json, 8, {"12345678\n"}).events == std::vector<std::string>{"frame 12345678"});
    CHECK(decode(Serialization::json, 8, {"123456789\n{}\n"}).events ==
          std::vector<std::string>{"too_large 9", "frame {}"});
    // Held at 8 bytes, then one more arrives.
    CHECK(decode(Serialization::json, 8, {"12345678", "9\n{}\n"}).events ==
          std::vector<std::string>{"too_large 9", "frame {}"});
    CHECK(decode(Serialization::json, 8, {"12345678", "\n"}).events == std::vector<std::string>{"frame 12345678"});
}

TEST_CASE("frame decoder json: an oversized line streams past without being held and is reported once") {
    const std::string huge(100'000, 'x');
    std::vector<std::string> chunks{"[1]\n\"" + huge.substr(0, 10)};
    for (std::size_t at = 10; at < huge.size(); at += 4096) chunks.push_back(huge.substr(at, 4096));
    chunks.push_back("\"\n{\"after\":true}\n");
    const auto decoded = decode(Serialization::json, 1024, chunks);
    CHECK(decoded.events == std::vector<std::string>{"frame [1]", "too_large 100002", "frame {\"after\":true}"});
    CHECK(decoded.most_pending <= 1024);

    // Not reported before its newline.
    CHECK(decode(Serialization::json, 16, {huge, huge}).events.empty());
    CHECK(decode(Serialization::json, 16, {huge, huge}).most_pending == 0);
    CHECK(decode(Serialization::json, 16, {huge, huge, "\n"}).events == std::vector<std::string>{"too_large 200000"});
}

TEST_CASE("frame decoder json: every cut of a stream gives the same frames") {
    const std::string stream = "{\"a\":1}\n\n[1,2,3]\n\"a very long line indeed\"\n{}\n\n\"x\"\n";
    check_every_cut(Serialization::json, 12, stream,
                    {"frame {\"a\":1}", "frame [1,2,3]", "too_large 25", "frame {}", "frame \"x\""});
}

TEST_CASE("frame decoder advanced: whole frames inside one read are views into it - the tail is held") {
    const std::string stream = advanced(kV8Object) + advanced(kV8String) + advanced(kV8Null);
    const auto decoded = decode(Serialization::advanced, 64, {stream.substr(0, 20), stream.substr(20)});
    CHECK(decoded.events == std::vector<std::string>{"frame " + printable(kV8Object),
                                                     "frame " + printable(kV8String), "frame " + printable(kV8Null)});
    CHECK(decoded.views == 2);   // {a:1} in the first read, null in the second
    CHECK(decoded.copies == 1);  // "hi", cut by the read boundary
    CHECK(decoded.most_pending == 6);
}

TEST_CASE("frame decoder advanced: a payload without the V8 header is skipped with its declared length") {
    const std::string bad("\x0f\xff\x01\x02\x03", 5);
    CHECK(decode(Serialization::advanced, 64, {advanced(bad) + advanced(kV8Null)}).events ==
          std::vector<std::string>{"bad_header 5", "frame " + printable(kV8Null)});
    // Empty and one-byte payloads cannot hold the header.
    CHECK(decode(Serialization::advanced, 64, {advanced("") + advanced("\xff") + advanced(kV8Null)}).events ==
          std::vector<std::string>{"bad_header 0", "bad_header 1", "frame " + printable(kV8Null)});
    // Reported as soon as the two bytes are there, before the rest of the frame arrives.
    const std::string frame = advanced(std::string("\xff\x10", 2) + std::string(30, 'z'));
    CHECK(decode(Serialization::advanced, 64, {frame.substr(0, 6)}).events == std::vector<std::string>{"bad_header 32"});
    CHECK(decode(Serialization::advanced, 64, {frame.substr(0, 5)}).events.empty());
    const auto held = decode(Serialization::advanced, 64, {frame.substr(0, 5), frame.substr(5, 1), frame.substr(6)});
    CHECK(held.events == std::vector<std::string>{"bad_header 32"});
    CHECK(decode(Serialization::advanced, 64, {frame.substr(0, 5), frame.substr(5, 1), frame.substr(6) + advanced(kV8String)})
              .events == std::vector<std::string>{"bad_header 32", "frame " + printable(kV8String)});
}

TEST_CASE("frame decoder advanced: an oversized frame is reported on its length and skipped unread") {
    const std::string big = std::string("\xff\x0f", 2) + std::string(98, 'p');
    CHECK(decode(Serialization::advanced, 100, {advanced(big)}).events == std::vector<std::string>{"frame " + printable(big)});
    const std::string bigger = big + "q";
    // Reported from the 4 length bytes alone.
    CHECK(decode(Serialization::advanced, 100, {advanced(bigger).substr(0, 4)}).events ==
          std::vector<std::string>{"too_large 101"});
    CHECK(decode(Serialization::advanced, 100, bytewise(advanced(bigger))).most_pending <= 3);
    CHECK(decode(Serialization::advanced, 100, bytewise(advanced(bigger) + advanced(kV8Null))).events ==
          std::vector<std::string>{"too_large 101", "frame " + printable(kV8Null)});
    // The largest length there is: everything after it belongs to that frame.
    const auto largest = decode(Serialization::advanced, 1 << 20,
                                {advanced("", 0xffffffff), std::string(1 << 20, 'x'), advanced(kV8Null)});
    CHECK(largest.events == std::vector<std::string>{"too_large 4294967295"});
    CHECK(largest.most_pending == 0);
}

TEST_CASE("frame decoder advanced: every cut of a stream gives the same frames") {
    const std::string stream = advanced(kV8Object) + advanced("") + advanced(std::string("\x01\x02\x03", 3)) +
                               advanced(kV8String) + advanced(std::string("\xff\x0f", 2) + std::string(13, 'L')) +
                               advanced("\xff") + advanced(kV8Null);
    check_every_cut(Serialization::advanced, 12, stream,
                    {"frame " + printable(kV8Object), "bad_header 0", "bad_header 3", "frame " + printable(kV8String),
                     "too_large 15", "bad_header 1", "frame " + printable(kV8Null)});
}

TEST_CASE("frame decoder: a newline means nothing in advanced mode - a length means nothing in json mode") {
    const std::string payload = std::string("\xff\x0f", 2) + "\n\n\n";
    CHECK(decode(Serialization::advanced, 64, {advanced(payload)}).events ==
          std::vector<std::string>{"frame " + printable(payload)});
    CHECK(decode(Serialization::json, 64, {std::string("\0\0\0\2{}\n", 7)}).events ==
          std::vector<std::string>{"frame \\x00\\x00\\x00\\x02{}"});
}
