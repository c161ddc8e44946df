#pragma once
// When did a process the loop hears about now really exit? Usually just now: its SIGCHLD wakes the loop
// at once. But when the loop woke later than it planned to (its next timer) the daemon could not run for
// a while: it was stopped (SIGSTOP), frozen with its cgroup, or the machine paused. An exit heard then
// happened at a moment nobody saw, somewhere after the loop last went to wait. That moment is taken:
// uptimes measured up to it never count time the daemon spent stopped (they are at most that much short,
// never longer than the process lived).
//
// The exit may be heard in the wait that overslept, or, when that wait ended with its timer (libuv runs
// the timers first), in the next one: so exits heard within kLateness after the daemon resumed are dated
// at the start of the stop too.
//
// Ownership: one per loop, owned by the daemon; close() before the loop is closed.
#include <uv.h>

#include "base/uv_handle.hpp"
#include "policies/clock.hpp"

namespace corral::supervisor {

class LoopWatch {
public:
    // Grace beyond the planned wake-up before the loop counts as having overslept (a busy host).
    static constexpr policies::Duration kLateness{500};

    explicit LoopWatch(uv_loop_t* loop);
    LoopWatch(const LoopWatch&) = delete;
    LoopWatch& operator=(const LoopWatch&) = delete;

    // The exit time of a process whose exit is heard at `now`.
    policies::TimePoint exit_time(policies::TimePoint now) const;
    void close() { prepare_.close(); }

    // For tests: as if the loop went to wait at `at`, planning to wake `timeout_ms` later (-1: never).
    void went_to_wait(policies::TimePoint at, std::int64_t timeout_ms);

private:
    static void on_prepare(uv_prepare_t* handle);
    bool overslept(policies::TimePoint now) const;

    UvHandle<uv_prepare_t> prepare_;
    policies::TimePoint waited_at_{};
    std::int64_t timeout_ms_ = -1;
    policies::TimePoint stopped_at_{};  // the last oversleep: from when the loop went to wait ...
    policies::TimePoint resumed_at_{};  // ... until the loop ran again
};

}  // namespace corral::supervisor
