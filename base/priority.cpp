#include "base/priority.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>

namespace corral {

namespace {

std::optional<int> children_nice;

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

}  // namespace corral
