#include "tests/support/uv_loop.hpp"

#include <cstdint>

#include "base/uv_handle.hpp"

namespace corral::test {

int Loop::close() {
    closed = true;
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop);
}

bool run_until(uv_loop_t* loop, const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    bool expired = false;
    UvHandle<uv_timer_t> timer;
    if (timer.init(uv_timer_init, loop) < 0) return done();
    timer.get()->data = &expired;
    uv_timer_start(timer.get(), [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
                   static_cast<std::uint64_t>(timeout.count()), 0);
    while (!done() && !expired) uv_run(loop, UV_RUN_ONCE);
    return done();
}

}  // namespace corral::test
