#include "base/priority.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

namespace corral {

namespace {

std::optional<int> children_nice;
bool daemon_batch = false;

}  // namespace

std::optional<int> nice_for_children() { return children_nice; }

Result<Priority> raise_priority() {
    errno = 0;
    const int before = ::getpriority(PRIO_PROCESS, 0);
    if (before == -1 && errno != 0) return sys_error("read", "the nice level");
    const int wanted = std::max(-20, before - kDaemonNiceBoost);
    if (wanted == before) return Priority{before, before};
    if (::setpriority(PRIO_PROCESS, 0, wanted) != 0) return sys_error("raise", "the daemon's CPU priority");
    children_nice = before;
    return Priority{before, wanted};
}

bool yield_on_wakeup() {
    if (::sched_getscheduler(0) != SCHED_OTHER) return false;
    const sched_param param{};
    daemon_batch = ::sched_setscheduler(0, SCHED_BATCH, &param) == 0;
    return daemon_batch;
}

bool batch_for_daemon_only() { return daemon_batch; }

}  // namespace corral
