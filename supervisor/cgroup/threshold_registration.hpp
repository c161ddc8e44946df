#pragma once
// A v1 memory threshold's registration on cgroup.event_control, made ready by
// Driver::prepare_threshold (cheap: an eventfd and two opens) and written by register_threshold(). The
// write can block: the kernel waits for an RCU grace period on every threshold it adds (5-15 ms measured
// on kernel 6.18), so the daemon writes it on a worker thread (supervisor/instance/memory_thresholds.cpp),
// never on its loop.
#include <string>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"

namespace corral::supervisor::cgroup {

struct ThresholdRegistration {
    UniqueFd event;          // the eventfd the kernel signals; the registration ends when it is closed
    UniqueFd watched;        // memory.usage_in_bytes, named by `line`
    UniqueFd event_control;  // cgroup.event_control, open for writing
    std::string line;        // "<event fd> <watched fd> <bytes>": the numbers of the two descriptors above
    std::string where;       // event_control's path, for errors
};

// Blocking; from any thread. Every descriptor of `registration` stays open until it returns.
Status register_threshold(const ThresholdRegistration& registration);

}  // namespace corral::supervisor::cgroup
