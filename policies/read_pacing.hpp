#pragma once
// When the broker reads a sender's channel on every wake-up and when on a timer (pure; the clock is
// passed in).
//
// A sender that streams (process.send() in a loop, nothing coming back) writes one small socket buffer
// per message, and a reader woken by each of them pays a whole wake-up (epoll, read, a context switch:
// ~30 us of CPU on a small VM) for a handful of messages. Read on a short timer instead, the same bytes
// cost one wake-up per tick. Pacing costs latency (up to one tick), so it is kept for one-way streams:
//   - a channel becomes paced after kStreak reads in a row that each came within kTick of the one
//     before and carried frames, with nothing written to the channel in between (a conversation, where
//     the sender waits for answers, never qualifies: every answer restarts the count);
//   - a paced channel goes back to reading on wake-ups as soon as something is written to it, or when a
//     tick finds at most one frame (waking for each would then cost no more than the ticks).
#include <cstddef>

#include "policies/clock.hpp"

namespace corral::policies {

class ReadPacing {
public:
    static constexpr std::chrono::microseconds kTick{1000};
    static constexpr unsigned kStreak = 32;

    bool paced() const { return paced_; }

    // A read on wake-up that carried `frames` frames; true when the channel is paced from now on.
    bool on_read(TimePoint now, std::size_t frames);
    // A tick of a paced channel read `frames` frames; true when it stays paced.
    bool on_tick(std::size_t frames);
    // Something was written to the channel: the process at the other end may be waiting for it and
    // answer at once.
    void on_write();

private:
    bool paced_ = false;
    unsigned streak_ = 0;
    TimePoint last_read_{};
};

}  // namespace corral::policies
