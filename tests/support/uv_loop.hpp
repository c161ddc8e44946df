#pragma once
// A libuv loop for tests that drive real handles (sockets, FIFOs, timers) from the test's own thread.
#include <uv.h>

#include <chrono>
#include <functional>

namespace corral::test {

struct Loop {
    uv_loop_t loop{};
    bool closed = false;
    Loop() { uv_loop_init(&loop); }
    ~Loop() {
        if (!closed) close();
    }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;
    // Runs the pending close callbacks, then closes the loop: 0 when every handle was closed.
    int close();
    uv_loop_t* get() { return &loop; }
};

// Runs the loop until `done` holds or `timeout` passes; returns `done()`.
bool run_until(uv_loop_t* loop, const std::function<bool()>& done, std::chrono::milliseconds timeout);

}  // namespace corral::test
