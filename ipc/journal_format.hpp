#pragma once
// The spill journal's bytes on disk, all little-endian:
//
//   file header  (32 bytes)  "corralj2" | the mark (24 bytes, below)
//   mark                     u64 delivered | u64 received | u64 in_flight | u32 flags | u32 CRC-32 of the
//                            28 bytes before
//   record       (16 + n)    u32 n | u32 CRC-32 of (seq, payload) | u64 seq | payload (one frame, n bytes)
//
// Sequence numbers are per queue, given to every frame the queue takes, and strictly increasing through a
// file. The mark says which of them had been delivered (every seq <= delivered) and the highest one the
// queue had taken (received) when it was last written; flag 1 (clean) says the daemon wrote the file on its
// way out, so nothing was lost; in_flight counts the delivered frames the receiver may not have handled yet
// (still in its socket, or read and not handled): a crash loses them with the receiver. A record whose checksum or seq does not hold, or that the file cuts short,
// ends the usable part of the file (a torn tail). Pure: no I/O.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace corral::ipc::journal {

inline constexpr std::string_view kMagic = "corralj2";
inline constexpr std::size_t kMarkOffset = 8;
inline constexpr std::size_t kMarkSize = 32;
inline constexpr std::size_t kFileHeader = kMarkOffset + kMarkSize;
inline constexpr std::size_t kRecordHeader = 16;

struct Mark {
    std::uint64_t delivered = 0;
    std::uint64_t received = 0;
    bool clean = false;
    std::uint64_t in_flight = 0;

    bool operator==(const Mark&) const = default;
};

std::uint32_t checksum(std::uint64_t seq, std::string_view payload);

std::array<char, kMarkSize> encode_mark(const Mark& mark);
// nullopt when its checksum does not hold.
std::optional<Mark> decode_mark(const char* bytes);
std::array<char, kFileHeader> encode_file_header(const Mark& mark);

struct RecordHeader {
    std::uint32_t length = 0;
    std::uint32_t crc = 0;
    std::uint64_t seq = 0;
};
std::array<char, kRecordHeader> encode_record_header(std::uint64_t seq, std::string_view payload);
RecordHeader decode_record_header(const char* bytes);

}  // namespace corral::ipc::journal
