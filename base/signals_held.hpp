#pragma once
// Holds signals back (blocked in the calling thread) until release() or the end of the scope: a daemon that
// is still setting up (its cgroups can take a while: an earlier daemon's leftovers are killed first) gets
// its stop signals once it watches them, instead of dying halfway with its groups left behind. Threads
// made meanwhile keep them blocked, so they go to the thread that watches them. release() unblocks them
// even when they were blocked before (PID 1 blocks them from its start: supervisor/main.cpp).
#include <pthread.h>
#include <signal.h>

#include <span>

namespace corral {

class SignalsHeld {
public:
    explicit SignalsHeld(std::span<const int> signals) {
        sigemptyset(&signals_);
        for (const int signum : signals) sigaddset(&signals_, signum);
        held_ = pthread_sigmask(SIG_BLOCK, &signals_, nullptr) == 0;
    }
    ~SignalsHeld() { release(); }
    SignalsHeld(const SignalsHeld&) = delete;
    SignalsHeld& operator=(const SignalsHeld&) = delete;

    // Those that came meanwhile are delivered now.
    void release() {
        if (held_) pthread_sigmask(SIG_UNBLOCK, &signals_, nullptr);
        held_ = false;
    }

private:
    sigset_t signals_{};
    bool held_ = false;
};

}  // namespace corral
