#include "supervisor/instance/loop_watch.hpp"

namespace corral::supervisor {

LoopWatch::LoopWatch(uv_loop_t* loop) {
    if (prepare_.init(uv_prepare_init, loop) != 0) return;
    prepare_.get()->data = this;
    uv_prepare_start(prepare_.get(), on_prepare);
    uv_unref(prepare_.base());
}

void LoopWatch::on_prepare(uv_prepare_t* handle) {
    auto* self = static_cast<LoopWatch*>(handle->data);
    // Prepare handles run just before the loop polls, with the timeout it is about to use.
    self->went_to_wait(policies::Clock::now(), uv_backend_timeout(handle->loop));
}

void LoopWatch::went_to_wait(policies::TimePoint at, std::int64_t timeout_ms) {
    if (overslept(at)) {
        stopped_at_ = waited_at_;
        resumed_at_ = at;
    }
    waited_at_ = at;
    timeout_ms_ = timeout_ms;
}

bool LoopWatch::overslept(policies::TimePoint now) const {
    if (timeout_ms_ < 0 || waited_at_ == policies::TimePoint{}) return false;
    return now > waited_at_ + policies::Duration(timeout_ms_) + kLateness;
}

policies::TimePoint LoopWatch::exit_time(policies::TimePoint now) const {
    if (overslept(now)) return waited_at_;
    if (resumed_at_ != policies::TimePoint{} && now - resumed_at_ <= kLateness) return stopped_at_;
    return now;
}

}  // namespace corral::supervisor
