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
//
// The limits bound memory: a push that would make memory_bytes() > max_bytes or the frames in memory
// > max_messages overflows. Details of each policy:
//   spill        frames go to memory while they fit and nothing is spilled; from the first overflow on,
//                every push goes to the journal until it is drained again. spill_max is a soft cap: a
//                blocked queue still takes what the broker had already read (it goes to the journal).
//                If the journal cannot be written (disk full, I/O error), the frame stays in memory, past
//                the limits, journal_error() says why, and blocked() is true while memory is over.
//   drop-oldest  frames are dropped from the front until the new one fits; a frame larger than max_bytes
//                on its own is kept alone (everything else is dropped). The frame handed out by front()
//                and not yet popped is being delivered and is never dropped.
//   drop-newest  the arriving frame is dropped when it does not fit; push returns false.
//   block        nothing is dropped: push stores the frame past the limits if it must (the broker has
//                stopped reading), and blocked() is true while the queue is over its limits.
//   durable      (with any policy) every frame goes through the journal, never memory alone; the broker
//                calls sync() at the end of each turn, which writes the batch and the mark.
// Whatever the policy, while spilled frames remain (after a reload switched away from spill), arrivals
// keep going through the journal behind them.
//
// Order is FIFO across all the places a frame can be: the frame being delivered (`current_`), then
// `memory_`, then the journal, then `unspilled_` (frames the journal refused while it held frames; they
// go back to it first, in order, when it works again). memory_ only takes frames while the journal is
// empty, so everything in memory_ is older than everything spilled.
//
// Every frame the queue takes gets the next sequence number (kept in the journal's records); the journal's
// mark (delivered, received) is brought up to date by sync(), so that after a crash the next daemon
// replays what was not delivered and can say how many frames at most died in memory (recover()).
// persist() is the way out: everything held (memory first, then the journal, then unspilled_) ends up in
// the journal, in order, for the next daemon.
//
// front() moves the next frame into current_, where it stays, at the same address, until pop(): the
// broker may hand it to an asynchronous write. Pushes never move it.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/sys_result.hpp"
#include "ipc/queue_limits.hpp"
#include "ipc/spill_journal.hpp"

namespace corral::ipc {

struct QueueCounters {
    std::uint64_t received = 0;   // pushed
    std::uint64_t delivered = 0;  // popped for delivery
    std::uint64_t dropped = 0;
    std::uint64_t spilled = 0;    // went through the journal
    std::uint64_t persisted = 0;  // left in the journal for the next daemon at shutdown
    std::uint64_t persisted_bytes = 0;
    std::uint64_t replayed = 0;   // found in the journal an earlier daemon left
    std::uint64_t torn = 0;       // journal tails cut because a record was torn or corrupt
    std::uint64_t torn_bytes = 0;
    std::uint64_t lost = 0;       // at most this many frames died in the memory of a daemon that crashed
};

class DeliveryQueue {
public:
    // `journal_path` is where this queue spills (created on first use; removed with the queue when it holds
    // nothing, kept for the next daemon otherwise).
    // `writer` (optional) writes the journal off the caller's thread (see ipc/journal_writer.hpp).
    DeliveryQueue(QueueLimits limits, std::filesystem::path journal_path, JournalWriter* writer = nullptr);

    // Adopts the journal an earlier daemon left (see SpillJournal::recover), counting what it replays, cut
    // and lost. Call once, before anything else.
    Result<JournalRecovery> recover();
    // Brings the journal up to date at the end of a turn: the write batch (durable only: written before
    // this returns) and the mark.
    // `unhandled_bytes`: what the receiver may not have handled of what it was sent (its socket, and what
    // it may have read and not handled), counted in the mark as frames in flight.
    Status sync(std::uint64_t unhandled_bytes = 0);
    // True once the queue has a journal (then sync() writes its mark).
    bool journaled() const { return journal_.is_open(); }
    // Everything held goes to the journal for the next daemon; the queue is then only its journal.
    Status persist();

    // Queues one frame; false when it was dropped (drop-newest). A full `block` queue stores it anyway.
    bool push(std::string_view frame);
    // The next frame to deliver (from memory or the journal), or nullptr when empty. Stays at the front
    // until pop().
    const std::string* front();
    void pop();
    // Counts a frame that went straight to its receiver because nothing was queued before it.
    void pass(std::size_t bytes) {
        ++counters_.received;
        ++counters_.delivered;
        delivered_seq_ = ++last_seq_;
        remember_delivered(bytes);
    }

    bool empty() const;
    // The senders must stop being read (block: over the limits; spill: journal past spill_max, or memory
    // over the limits because the journal failed; any policy: more than kUnwrittenMax of the journal waits
    // for the disk, as of the last settle_writes()).
    bool blocked() const;
    static constexpr std::uint64_t kUnwrittenMax = 16u << 20;
    // Journal bytes handed to the writer and not written yet: spilled, but still in memory.
    std::uint64_t unwritten_bytes() const { return journal_.unwritten_bytes(); }
    // Lets go of what the writer has written (call when it says it made progress).
    void settle_writes() { journal_.settle(); }
    std::size_t queued_messages() const;  // in memory and spilled
    std::uint64_t queued_bytes() const;
    std::uint64_t memory_bytes() const { return memory_bytes_; }
    std::uint64_t spilled_bytes() const;  // on disk, not yet replayed
    const QueueCounters& counters() const { return counters_; }
    void set_limits(const QueueLimits& limits) { limits_ = limits; }
    // The last journal error, if spilling failed (then the frame was kept in memory instead), or if the
    // journal could not be read back (then its frames were given up and counted as dropped).
    const std::optional<SysError>& journal_error() const { return journal_error_; }
    std::size_t memory_messages() const { return memory_.size() + unspilled_.size() + (current_ ? 1 : 0); }
    const std::filesystem::path& journal_path() const { return journal_.path(); }

private:
    struct Frame {
        std::uint64_t seq = 0;
        std::string bytes;
    };

    bool fits(std::size_t frame_bytes) const;
    bool over_limits() const;
    void keep(std::uint64_t seq, std::string_view frame);
    void spill(std::uint64_t seq, std::string_view frame);
    void next_from_journal();
    void remember_delivered(std::size_t bytes);
    // How many of the last frames delivered add up to `bytes` (the frame it ends in counts).
    std::uint64_t frames_in(std::uint64_t bytes) const;

    QueueLimits limits_;
    std::deque<Frame> memory_;
    std::uint64_t memory_bytes_ = 0;  // memory_, unspilled_ and current_
    SpillJournal journal_;
    std::deque<Frame> unspilled_;  // after the journal; empty while the journal is
    std::optional<Frame> current_;  // the front, taken out of memory_ or read from the journal
    std::uint64_t last_seq_ = 0;       // given to the last frame taken
    std::uint64_t delivered_seq_ = 0;  // of the last frame delivered
    std::deque<std::uint32_t> recent_;  // sizes of the last frames delivered, newest last (bounded)
    QueueCounters counters_;
    std::optional<SysError> journal_error_;
};

}  // namespace corral::ipc
