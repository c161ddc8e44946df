#pragma once
// One record of /dev/kmsg, as read(2) returns it (Documentation/ABI/testing/dev-kmsg):
//
//   "<prio>,<seq>,<timestamp_us>,<flags>[,<more fields>];<message>\n"
//   " KEY=value\n" ...                      optional continuation lines (device properties): dropped
//
// prio is facility * 8 + level; records written by user space (to /dev/kmsg) have a facility other than
// 0 (kernel). The message is kept as the kernel escaped it: non-printable bytes, a newline included, are
// "\xNN", so a message never holds a raw newline. Pure: no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::supervisor::kmsg {

struct KmsgRecord {
    int facility = 0;               // 0 = kernel
    int level = 0;                  // 0 (emerg) .. 7 (debug)
    std::uint64_t seq = 0;          // consecutive per record; a gap means records were lost
    std::uint64_t timestamp_us = 0; // CLOCK_MONOTONIC when the record was logged
    std::string message;

    bool from_kernel() const { return facility == 0; }
};

// nullopt when `raw` is not a record: no ';', fewer than four header fields, fields that are not numbers.
std::optional<KmsgRecord> parse_kmsg_record(std::string_view raw);

}  // namespace corral::supervisor::kmsg
