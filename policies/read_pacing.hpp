#pragma once
// When the broker reads a sender's channel on every wake-up and when on a timer (pure; the clock is
// passed in).
//
// A sender that streams (process.send() in a loop, nothing coming back) writes one small socket buffer
// per message, and a reader woken by each of them pays a whole wake-up (epoll, read, a context switch:
// ~30 us of CPU on a small VM) for a handful of messages. Read on a short timer instead, the same bytes
// cost one wake-up per tick. Pacing costs latency (up to one tick) and leaves up to a tick's worth of
// messages in the sender's socket buffer, so it is kept for light one-way streams:
//   - a channel becomes paced after kStreak reads in a row that each came within kTick of the one
//     before and carried frames, with nothing written to the channel in between (a conversation, where
//     the sender waits for answers, never qualifies: every answer restarts the count), if the sender
//     wrote at most the tick budget per tick during the streak;
//   - a paced channel goes back to reading on wake-ups as soon as something is written to it, when a
//     tick finds at most one frame (waking for each would then cost no more than the ticks), or when a
//     tick finds more than the budget.
// The budget is a share of the sender's socket buffer: when its buffer is full, Node keeps what the
// process sends in its own memory (the article's leak), so one tick must never come close to filling it.
// A frame is counted at twice its bytes plus kFrameOverhead: more than the kernel charges the sender for
// each message (its bytes rounded up to a power of two, plus the buffer's own bookkeeping).
#include <cstddef>

#include "policies/clock.hpp"

namespace corral::policies {

class ReadPacing {
public:
    static constexpr std::chrono::microseconds kTick{1000};
    static constexpr unsigned kStreak = 32;
    static constexpr std::size_t kFrameOverhead = 1024;
    static constexpr std::size_t kBufferShare = 32;  // a tick may find 1/kBufferShare of the sender's buffer

    // `sender_buffer`: the send buffer of the sender's end of the channel; 0: never paced.
    explicit ReadPacing(std::size_t sender_buffer = 0) : budget_(sender_buffer / kBufferShare) {}

    bool paced() const { return paced_; }

    // A read on wake-up that carried `frames` frames in `bytes` bytes; true when the channel is paced from
    // now on.
    bool on_read(TimePoint now, std::size_t frames, std::size_t bytes);
    // A tick of a paced channel read `frames` frames in `bytes` bytes; true when it stays paced.
    bool on_tick(std::size_t frames, std::size_t bytes);
    // Something was written to the channel: the process at the other end may be waiting for it and
    // answer at once.
    void on_write();

    // What `frames` frames of `bytes` bytes in all cost the sender's socket buffer, at most.
    static std::size_t load(std::size_t frames, std::size_t bytes) { return 2 * bytes + frames * kFrameOverhead; }

private:
    // `now`'s read is the first of a new streak.
    void restart_streak(TimePoint now);

    std::size_t budget_;  // what one tick may find, counted as above
    bool paced_ = false;
    unsigned streak_ = 0;
    std::size_t streak_load_ = 0;  // of the streak's reads after its first
    TimePoint streak_start_{};
    TimePoint last_read_{};
};

}  // namespace corral::policies
