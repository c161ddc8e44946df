#pragma once
// How one incarnation of a process ended, as seen by its supervisor.
#include <string>

#include "policies/clock.hpp"

namespace corral::policies {

struct ExitStatus {
    int code = 0;               // exit code; meaningful when signal == 0
    int signal = 0;             // terminating signal, 0 when the process exited by itself
    bool spawn_failed = false;  // the process could not be started at all
    // When it exited, as far as the supervisor can tell (supervisor/instance/loop_watch.hpp); {} when
    // unknown, and then "now" is taken. Not part of how it ended: equality ignores it.
    TimePoint ended_at{};

    bool clean() const { return !spawn_failed && signal == 0 && code == 0; }
    bool operator==(const ExitStatus& other) const {
        return code == other.code && signal == other.signal && spawn_failed == other.spawn_failed;
    }
};

// "exited with code 1", "killed by SIGKILL", "could not be started".
std::string describe(const ExitStatus& exit);

}  // namespace corral::policies
