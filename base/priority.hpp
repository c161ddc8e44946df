#pragma once
// The daemon's CPU priority. The broker is in the path of every message between workers: when the host
// is busy (builds, other services at the same level as the daemon), a daemon that waits for the CPU
// reads its senders late, and a sender that never looks at send()'s return keeps what it sends in its own
// memory (the article's leak; measured: the daemon's loop spent as long waiting to run as running while a
// build shared the 2 cores). So the daemon runs a few nice levels above where it was started, when it is
// allowed to, and its services get the level it was started with back (the exec shim sets it before the
// exec, as it does the descriptor limit).
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

}  // namespace corral
