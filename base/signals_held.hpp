#pragma once
// Holds signals back (blocked in the calling thread) until release() or the end of the scope: a daemon that
// is still setting up (its cgroups can take a while: an earlier daemon's leftovers are killed first) gets
// its stop signals once it watches them, instead of dying halfway with its groups left behind. Threads
// made meanwhile keep them blocked, so they go to the thread that watches them.
#include <pthread.h>
#include <signal.h>

#include <span>

namespace corral {

class SignalsHeld {
public:
    explicit SignalsHeld(std::span<const int> signals) {
        sigset_t held;
        sigemptyset(&held);
        for (const int signum : signals) sigaddset(&held, signum);
        held_ = pthread_sigmask(SIG_BLOCK, &held, &before_) == 0;
    }
    ~SignalsHeld() { release(); }
    SignalsHeld(const SignalsHeld&) = delete;
    SignalsHeld& operator=(const SignalsHeld&) = delete;

    // Those that came meanwhile are delivered now.
    void release() {
        if (held_) pthread_sigmask(SIG_SETMASK, &before_, nullptr);
        held_ = false;
    }

private:
    sigset_t before_{};
    bool held_ = false;
};

}  // namespace corral
