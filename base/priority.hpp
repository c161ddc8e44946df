#pragma once
// The daemon's CPU priority. The broker is in the path of every message between workers: when the host
// is busy (builds, other services at the same level as the daemon), a daemon that waits for the CPU
// reads its senders late, and a sender that never looks at send()'s return keeps what it sends in its own
// memory (the article's leak; measured: the daemon's loop spent as long waiting to run as running while a
// build shared the 2 cores). So the daemon runs a few nice levels above where it was started, when it is
// allowed to, and its services get the level it was started with back (the exec shim sets it before the
// exec, as it does the descriptor limit).
//
// It also runs as SCHED_BATCH (same CPU share; only wake-up preemption changes): a worker that sends a
// message wakes the daemon, and a daemon that preempted it there would take one message per wake-up while
// the worker still had its send to finish; not preempting, the daemon runs once the worker blocks or its
// slice ends (at once on an idle CPU, which is where a woken task goes first). Measured on one CPU
// (bench/ipc.js ping-pong, every process on CPU 0): 42.2 us per round trip against 44.4 us preempting,
// four runs each. Its services get SCHED_OTHER back in the exec shim, like the nice level.
#include <optional>

#include "base/sys_result.hpp"

namespace corral {

inline constexpr int kDaemonNiceBoost = 5;

struct Priority {
    int before = 0;  // the nice level found
    int now = 0;
};

// Lowers the calling thread's nice level (and so that of the threads it creates later) by
// kDaemonNiceBoost; an error (EACCES without CAP_SYS_NICE) changes nothing.
Result<Priority> raise_priority();

// The nice level this process had before raise_priority() changed it, which its children get back;
// nullopt while it was not changed.
std::optional<int> nice_for_children();

// Switches the calling thread (and the threads it creates later) from SCHED_OTHER to SCHED_BATCH; false
// when it runs under another policy (a user's chrt: left alone) or the switch is refused.
bool yield_on_wakeup();
// Whether yield_on_wakeup() switched: the children then go back to SCHED_OTHER.
bool batch_for_daemon_only();

}  // namespace corral
