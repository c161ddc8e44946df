#pragma once
// The bounds of one delivery queue and what happens when they are reached (see delivery_queue.hpp):
// a plain value, so that the service file's specs can carry it without knowing the queue.
#include <cstdint>

namespace corral::ipc {

enum class Overflow { spill, drop_oldest, drop_newest, block };

struct QueueLimits {
    std::uint64_t max_bytes = 16ull << 20;
    std::uint64_t max_messages = 100'000;
    Overflow overflow = Overflow::spill;
    std::uint64_t spill_max = 1ull << 30;
    // Every frame goes through the journal (flushed at the end of each turn of the broker), so that a
    // crash of the daemon loses at most the frames of one turn; see delivery_queue.hpp.
    bool durable = false;

    bool operator==(const QueueLimits&) const = default;
};

}  // namespace corral::ipc
