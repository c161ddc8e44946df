#include "supervisor/cgroup/threshold_registration.hpp"

#include <unistd.h>

#include <cerrno>

namespace corral::supervisor::cgroup {

Status register_threshold(const ThresholdRegistration& registration) {
    ssize_t written = -1;
    do {
        written = ::write(registration.event_control.get(), registration.line.data(), registration.line.size());
    } while (written < 0 && errno == EINTR);
    if (written < 0) return sys_error("write", registration.where);
    return {};
}

}  // namespace corral::supervisor::cgroup
