#pragma once
// Restarts that are due, carried out a few per turn of the loop, after the loop has polled for I/O.
//
// Why: a restart is a fork and an exec report pipe, and a restart storm (dozens of instances dying at once
// with backoff 0) makes dozens of them due in every turn. Run from their timers, they all run in the
// timers phase, before the loop looks at the control socket, and a `corral status` waits behind all of
// them. Queued here, they run from a uv_check handle (after the poll phase) at most kPerTurn at a time,
// and a uv_idle handle keeps the next poll from blocking while any are left: whatever the control socket
// has ready is served between two restarts. (uv_spawn blocks until the child has called execve, which
// under CPU contention takes milliseconds: one spawn per turn measured a status round trip of 10 ms
// against 13 ms with two, in bench/restart_storm.js, at 160 against 250 restarts a second.)
//
// Ownership: the Daemon owns the queue and keeps it alive longer than every Instance; an entry is a
// (who, run) pair that its owner removes with cancel() when it no longer wants it (its timer cancelled,
// or the owner destroyed). close() closes both handles; entries left then are dropped, never run.
#include <uv.h>

#include <cstddef>
#include <deque>

#include "base/uv_handle.hpp"

namespace corral::supervisor {

class RestartQueue {
public:
    using Run = void (*)(void* who);
    static constexpr std::size_t kPerTurn = 1;

    explicit RestartQueue(uv_loop_t* loop);
    RestartQueue(const RestartQueue&) = delete;
    RestartQueue& operator=(const RestartQueue&) = delete;

    // Queues `run(who)`; `who` is queued at most once (a second push keeps its place).
    void push(void* who, Run run);
    void cancel(void* who);
    std::size_t size() const { return queue_.size(); }
    void close();

private:
    struct Entry {
        void* who;
        Run run;
    };
    static void on_check(uv_check_t* check);
    void drain();

    UvHandle<uv_check_t> check_;
    UvHandle<uv_idle_t> idle_;
    std::deque<Entry> queue_;
};

}  // namespace corral::supervisor
