#include "ipc/journal_format.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace corral::ipc::journal {

namespace {

void put_u32(char* out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

void put_u64(char* out, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint64_t get(const char* in, int bytes) {
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i) value = value << 8 | static_cast<unsigned char>(in[i]);
    return value;
}

std::uint32_t crc(std::uint32_t start, const char* bytes, std::size_t size) {
    // zlib's crc32 takes a uInt length: feed it in pieces that fit.
    uLong value = start;
    while (size > 0) {
        const auto piece = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
        value = ::crc32(value, reinterpret_cast<const Bytef*>(bytes), piece);
        bytes += piece;
        size -= piece;
    }
    return static_cast<std::uint32_t>(value);
}

}  // namespace

std::uint32_t checksum(std::uint64_t seq, std::string_view payload) {
    char seq_bytes[8];
    put_u64(seq_bytes, seq);
    return crc(crc(0, seq_bytes, sizeof seq_bytes), payload.data(), payload.size());
}

std::array<char, kMarkSize> encode_mark(const Mark& mark) {
    std::array<char, kMarkSize> out{};
    put_u64(out.data(), mark.delivered);
    put_u64(out.data() + 8, mark.received);
    put_u64(out.data() + 16, mark.in_flight);
    put_u32(out.data() + 24, mark.clean ? 1u : 0u);
    put_u32(out.data() + 28, crc(0, out.data(), 28));
    return out;
}

std::optional<Mark> decode_mark(const char* bytes) {
    if (static_cast<std::uint32_t>(get(bytes + 28, 4)) != crc(0, bytes, 28)) return std::nullopt;
    return Mark{get(bytes, 8), get(bytes + 8, 8), (get(bytes + 24, 4) & 1u) != 0, get(bytes + 16, 8)};
}

std::array<char, kFileHeader> encode_file_header(const Mark& mark) {
    std::array<char, kFileHeader> out{};
    std::memcpy(out.data(), kMagic.data(), kMagic.size());
    const auto encoded = encode_mark(mark);
    std::memcpy(out.data() + kMarkOffset, encoded.data(), encoded.size());
    return out;
}

std::array<char, kRecordHeader> encode_record_header(std::uint64_t seq, std::string_view payload) {
    std::array<char, kRecordHeader> out{};
    put_u32(out.data(), static_cast<std::uint32_t>(payload.size()));
    put_u32(out.data() + 4, checksum(seq, payload));
    put_u64(out.data() + 8, seq);
    return out;
}

RecordHeader decode_record_header(const char* bytes) {
    return {static_cast<std::uint32_t>(get(bytes, 4)), static_cast<std::uint32_t>(get(bytes + 4, 4)), get(bytes + 8, 8)};
}

}  // namespace corral::ipc::journal
