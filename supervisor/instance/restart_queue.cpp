#include "supervisor/instance/restart_queue.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

namespace corral::supervisor {

RestartQueue::RestartQueue(uv_loop_t* loop) {
    // Without these handles no restart would ever run: libuv fails here only when out of memory.
    if (check_.init(uv_check_init, loop) < 0 || idle_.init(uv_idle_init, loop) < 0) {
        spdlog::critical("cannot create the restart queue's handles");
        std::abort();
    }
    check_.get()->data = this;
    idle_.get()->data = this;
}

void RestartQueue::push(void* who, Run run) {
    if (!check_) return;
    if (std::any_of(queue_.begin(), queue_.end(), [who](const Entry& e) { return e.who == who; })) return;
    queue_.push_back({who, run});
    if (queue_.size() == 1) {
        uv_check_start(check_.get(), on_check);
        uv_idle_start(idle_.get(), [](uv_idle_t*) {});
    }
}

void RestartQueue::cancel(void* who) {
    std::erase_if(queue_, [who](const Entry& e) { return e.who == who; });
}

void RestartQueue::close() {
    queue_.clear();
    check_.close();
    idle_.close();
}

void RestartQueue::on_check(uv_check_t* check) { static_cast<RestartQueue*>(check->data)->drain(); }

void RestartQueue::drain() {
    // An entry run here may push or cancel others (a spawn that fails at once is a death, whose restart is
    // queued again): take each entry off the queue before running it.
    for (std::size_t n = 0; n < kPerTurn && !queue_.empty(); ++n) {
        const Entry entry = queue_.front();
        queue_.pop_front();
        entry.run(entry.who);
        if (!check_) return;  // closed by what ran
    }
    if (queue_.empty()) {
        uv_check_stop(check_.get());
        uv_idle_stop(idle_.get());
    }
}

}  // namespace corral::supervisor
