#include "supervisor/instance/required_timer.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace corral::supervisor {

UvHandle<uv_timer_t> required_timer(uv_loop_t* loop, const std::string& instance, void* data) {
    UvHandle<uv_timer_t> timer;
    if (const int rc = timer.init(uv_timer_init, loop); rc < 0) {
        spdlog::critical("{}: cannot create a timer: {}", instance, uv_strerror(rc));
        std::abort();
    }
    timer.get()->data = data;
    return timer;
}

}  // namespace corral::supervisor
