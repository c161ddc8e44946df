#include "supervisor/instance/liveness_watch.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <system_error>
#include <utility>

#include "base/file_text.hpp"
#include "base/text_format.hpp"
#include "supervisor/agent/stack_request.hpp"
#include "supervisor/instance/required_timer.hpp"

namespace corral::supervisor {
namespace {

constexpr policies::Duration kStackPoll{50};

std::chrono::system_clock::time_point wall_time(policies::TimePoint at, policies::TimePoint now) {
    return std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - at);
}

}  // namespace

LivenessWatch::LivenessWatch(uv_loop_t* loop, Owner& owner, std::string name)
    : owner_(owner), name_(std::move(name)), timer_(required_timer(loop, name_, this)) {}

void LivenessWatch::start(const std::optional<policies::LivenessParams>& params, std::filesystem::path stack_dir,
                          policies::TimePoint now) {
    end();
    if (!params) return;
    params_ = *params;
    stack_dir_ = std::move(stack_dir);
    started_ = now;
    phase_ = Phase::watching;
    judge(now);
}

void LivenessWatch::report(double loop_max_ms, policies::TimePoint now) {
    if (phase_ != Phase::watching) return;
    previous_report_ = last_report_;
    last_report_ = now;
    loop_max_ms_ = loop_max_ms;
    judge(now);
}

void LivenessWatch::update(const std::optional<policies::LivenessParams>& params, policies::TimePoint now) {
    if (phase_ != Phase::watching || !params) return;
    params_ = *params;
    judge(now);
}

void LivenessWatch::end() {
    uv_timer_stop(timer_.get());
    phase_ = Phase::off;
    last_report_.reset();
    previous_report_.reset();
    loop_max_ms_ = 0;
}

void LivenessWatch::on_timer(uv_timer_t* timer) {
    auto* self = static_cast<LivenessWatch*>(timer->data);
    const policies::TimePoint now = policies::Clock::now();
    if (self->phase_ == Phase::watching) {
        self->judge(now);
    } else if (self->phase_ == Phase::asking) {
        self->look_for_stack(now);
    }
}

void LivenessWatch::judge(policies::TimePoint now) {
    const Owner::Pause pause = owner_.loop_pause();
    const policies::LivenessFacts facts{started_, pause.ended_at, pause.now, last_report_, previous_report_, loop_max_ms_};
    const policies::LivenessVerdict verdict = policies::judge_liveness(params_, facts, now);
    if (verdict.hung) {
        ask_for_stack(verdict, now);
    } else {
        arm(verdict.recheck_at, now);
    }
}

void LivenessWatch::arm(policies::TimePoint at, policies::TimePoint now) {
    const auto delay = at > now ? std::chrono::ceil<std::chrono::milliseconds>(at - now).count() : 0;
    uv_timer_start(timer_.get(), on_timer, static_cast<uint64_t>(delay), 0);
}

// "event loop blocked for 10.3s (no runtime report since 2026-12-07T23:10:01.123Z)".
std::string LivenessWatch::blocked_text(const policies::LivenessVerdict& verdict, policies::TimePoint now) const {
    std::string text = "event loop blocked for " + format_duration(verdict.blocked);
    if (!verdict.silent) return text + " (its runtime report said so)";
    const std::string since = iso_utc(wall_time(verdict.silent_since, now));
    if (last_report_ && *last_report_ == verdict.silent_since) return text + " (no runtime report since " + since + ")";
    if (verdict.silent_since == started_) return text + " (no runtime report since it started at " + since + ")";
    return text + " (no runtime report since corral let it run again at " + since + ")";
}

void LivenessWatch::ask_for_stack(const policies::LivenessVerdict& verdict, policies::TimePoint now) {
    blocked_ = blocked_text(verdict, now);
    asked_at_ = now;
    phase_ = Phase::asking;
    std::error_code ignored;
    std::filesystem::remove(stack_dir_ / agent::kStackFile, ignored);
    const bool asked =
        !stack_dir_.empty() && static_cast<bool>(write_file_atomically(stack_dir_ / agent::kStackRequestFile, ""));
    if (!asked) {
        spdlog::error("{}: hung: {}: killing it", name_, blocked_);
        phase_ = Phase::done;
        owner_.on_hung({blocked_, stack_dir_.empty() ? "no JavaScript stack: node_diagnostics = false"
                                                      : "no JavaScript stack: the request could not be written"});
        return;
    }
    spdlog::warn("{}: hung: {}: asking its Node agent for the JavaScript stack", name_, blocked_);
    arm(now + kStackPoll, now);
}

void LivenessWatch::look_for_stack(policies::TimePoint now) {
    std::error_code error;
    const bool came = std::filesystem::exists(stack_dir_ / agent::kStackFile, error);
    if (!came && now - asked_at_ < kStackWait) {
        arm(now + kStackPoll, now);
        return;
    }
    std::filesystem::remove(stack_dir_ / agent::kStackRequestFile, error);
    phase_ = Phase::done;
    const auto waited = std::chrono::duration_cast<policies::Duration>(now - asked_at_);
    const std::string stack = came ? "JavaScript stack taken " + format_duration(waited) + " after the request (" +
                                         std::string(agent::kStackFile) + ")"
                                   : "no JavaScript stack came within " + format_duration(kStackWait) +
                                         " of the request (the loop may be stuck outside JavaScript)";
    spdlog::error("{}: hung: {}; {}: killing it", name_, blocked_, stack);
    owner_.on_hung({blocked_, stack});
}

}  // namespace corral::supervisor
