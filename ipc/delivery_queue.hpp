#pragma once
// The queue of one route towards one receiving instance: FIFO, bounded in memory (max_bytes,
// max_messages), with what to do when full:
//   spill        (default) overflow goes to an on-disk journal, written in large sequential writes and
//                replayed in order: nothing is lost and memory stays bounded. Once anything is spilled,
//                everything after it goes through the journal too (order). Past spill_max on disk, the
//                queue reports `blocked()` and the broker stops reading the senders until it drains.
//   drop-oldest  the oldest queued message makes room; counted
//   drop-newest  the arriving message is dropped; counted
//   block        nothing is dropped; the queue reports `blocked()` while full
// Every message is a whole frame as it travels on the wire.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ipc/spill_journal.hpp"
#include "supervisor/sys_result.hpp"

namespace corral::ipc {

enum class Overflow { spill, drop_oldest, drop_newest, block };

struct QueueLimits {
    std::uint64_t max_bytes = 16ull << 20;
    std::uint64_t max_messages = 100'000;
    Overflow overflow = Overflow::spill;
    std::uint64_t spill_max = 1ull << 30;

    bool operator==(const QueueLimits&) const = default;
};

struct QueueCounters {
    std::uint64_t received = 0;   // pushed
    std::uint64_t delivered = 0;  // popped for delivery
    std::uint64_t dropped = 0;
    std::uint64_t spilled = 0;    // went through the journal
};

class DeliveryQueue {
public:
    // `journal_path` is where this queue spills (created on first use, removed when drained).
    DeliveryQueue(QueueLimits limits, std::filesystem::path journal_path);

    // Queues one frame; false when it was dropped (drop-newest, or a full `block` queue).
    bool push(std::string_view frame);
    // The next frame to deliver (from memory or the journal), or nullptr when empty. Stays at the front
    // until pop().
    const std::string* front();
    void pop();

    bool empty() const;
    // The senders must stop being read (block: full; spill: journal past spill_max).
    bool blocked() const;
    std::size_t queued_messages() const;  // in memory and spilled
    std::uint64_t queued_bytes() const;
    std::uint64_t memory_bytes() const { return memory_bytes_; }
    std::uint64_t spilled_bytes() const;  // on disk, not yet replayed
    const QueueCounters& counters() const { return counters_; }
    void set_limits(const QueueLimits& limits) { limits_ = limits; }
    // The last journal error, if spilling failed (then the frame was kept in memory instead).
    const std::optional<supervisor::SysError>& journal_error() const { return journal_error_; }

private:
    QueueLimits limits_;
    std::deque<std::string> memory_;
    std::uint64_t memory_bytes_ = 0;
    SpillJournal journal_;
    std::optional<std::string> replayed_;  // the journal's front, read into memory
    QueueCounters counters_;
    std::optional<supervisor::SysError> journal_error_;
};

}  // namespace corral::ipc
