#pragma once
// The daemon's descriptor limit: every service costs it several descriptors (output pipes, its IPC
// channel, memory watches), and the soft limit many systems start with (1024) is far below the hard one.
#include <sys/resource.h>

#include <optional>

#include "base/sys_result.hpp"

namespace corral {

struct FdLimit {
    rlim_t before = 0;  // the soft limit found
    rlim_t soft = 0;    // the soft limit now
    rlim_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit.
Result<FdLimit> raise_fd_limit();

// The soft limit this process had before raise_fd_limit() changed it, which its children get back (as
// systemd does: a program that still uses select() breaks past 1024); nullopt while it was not changed.
std::optional<rlim_t> fd_limit_for_children();

}  // namespace corral
