#include "supervisor/instance/cooling_controller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "base/text_format.hpp"
#include "supervisor/instance/required_timer.hpp"

namespace corral::supervisor {

using policies::CoolingMode;
using policies::CoolingTrigger;

namespace {

const char* mode_name(CoolingMode mode) { return mode == CoolingMode::freeze ? "freeze" : "hold"; }

}  // namespace

CoolingController::CoolingController(uv_loop_t* loop, Owner& owner, Setup setup)
    : owner_(owner), setup_(std::move(setup)), timer_(required_timer(loop, setup_.name, this)) {}

void CoolingController::start(const std::optional<policies::CoolingParams>& params, policies::TimePoint now) {
    policy_.emplace(params, now);
    carried_out_ = false;
    ipc_sent_.reset();
    carry_out(std::nullopt, now);
}

void CoolingController::sample(const std::optional<policies::CoolingParams>& params, const cgroup::MemoryStats* stats,
                               double write_rate, std::int64_t now_ms, policies::TimePoint now) {
    if (!policy_) return;
    if (params != policy_->params()) carry_out(policy_->update(params, now), now);
    const auto& active = policy_->params();
    if (!active) return;
    std::optional<double> value;
    switch (active->trigger) {
        case CoolingTrigger::write_rate:
            if (stats != nullptr) value = write_rate;
            break;
        case CoolingTrigger::memory:
            if (stats != nullptr && stats->max && *stats->max > 0) {
                value = static_cast<double>(stats->current) / static_cast<double>(*stats->max);
            }
            break;
        case CoolingTrigger::pressure:
            if (stats != nullptr) value = stats->psi_some_avg10;
            break;
        case CoolingTrigger::ipc_rate: value = ipc_rate(*active, now_ms); break;
        case CoolingTrigger::schedule: value = 0; break;
    }
    if (value) carry_out(policy_->observe(*value, now), now);
}

// Messages (or bytes) per second the broker read from the instance since the last sample.
std::optional<double> CoolingController::ipc_rate(const policies::CoolingParams& params, std::int64_t now_ms) {
    const auto sent = setup_.broker != nullptr ? setup_.broker->sent(setup_.service, setup_.index) : std::nullopt;
    std::optional<double> rate;
    if (sent && ipc_sent_ && sent->first >= ipc_sent_->first && now_ms > ipc_sent_ms_) {
        const double delta = params.ipc_bytes ? static_cast<double>(sent->second - ipc_sent_->second)
                                              : static_cast<double>(sent->first - ipc_sent_->first);
        rate = delta * 1000.0 / static_cast<double>(now_ms - ipc_sent_ms_);
    }
    ipc_sent_ = sent;
    ipc_sent_ms_ = now_ms;
    return rate;
}

std::optional<policies::CoolingTransition> CoolingController::cool(std::optional<policies::Duration> for_how_long) {
    if (!policy_) return std::nullopt;
    const auto now = policies::Clock::now();
    policies::CoolingTransition transition = policy_->cool_manually(now, for_how_long);
    carry_out(transition, now);
    return transition;
}

std::optional<policies::CoolingTransition> CoolingController::heat() {
    if (!policy_) return std::nullopt;
    const auto now = policies::Clock::now();
    policies::CoolingTransition transition = policy_->heat(now);
    carry_out(transition, now);
    return transition;
}

std::optional<CoolingController::State> CoolingController::state(policies::TimePoint now) const {
    if (!policy_ || !carried_out_) return std::nullopt;
    return State{policy_->mode(), policy_->time_left(now), policy_->reason()};
}

void CoolingController::carry_out(const std::optional<policies::CoolingTransition>& transition,
                                  policies::TimePoint now) {
    if (transition && transition->cooling != carried_out_) announce(*transition, now);
    schedule_check(now);
}

void CoolingController::announce(const policies::CoolingTransition& transition, policies::TimePoint now) {
    const bool cooling = transition.cooling;
    const CoolingMode mode = policy_->mode();
    const auto& params = policy_->params();
    // The cooled instance's own sends stop being read when they are what made it hot (or it is frozen, or
    // cooled by hand); a sender that waits for send()'s callback then waits with them.
    const bool manual = transition.reason.starts_with("manual");
    const bool hold_sends =
        mode == CoolingMode::freeze || manual || (params && params->trigger == CoolingTrigger::ipc_rate);
    if (setup_.broker != nullptr) setup_.broker->hold(setup_.service, setup_.index, cooling, cooling && hold_sends);
    want_frozen(cooling && mode == CoolingMode::freeze);
    if (cooling != carried_out_) note_cooled(cooling, now);
    carried_out_ = cooling;
    if (cooling) {
        const auto left = policy_->time_left(now);
        spdlog::warn("{}: cooling ({}) {}: {}", setup_.name, mode_name(mode),
                     left ? "for " + format_duration(*left) : std::string("until corral heat"), transition.reason);
    } else {
        spdlog::info("{}: working again: {}", setup_.name, transition.reason);
    }
    owner_.on_cooling(cooling, transition.reason);
}

void CoolingController::schedule_check(policies::TimePoint now) {
    uv_timer_stop(timer_.get());
    if (!policy_) return;
    if (const auto next = policy_->next_check(now)) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count();
        uv_timer_start(timer_.get(), on_timer, static_cast<uint64_t>(std::max<long long>(0, wait)), 0);
    }
}

void CoolingController::on_timer(uv_timer_t* timer) {
    auto* self = static_cast<CoolingController*>(timer->data);
    if (!self->policy_) return;
    const auto now = policies::Clock::now();
    self->carry_out(self->policy_->tick(now), now);
}

void CoolingController::note_cooled(bool cooling, policies::TimePoint now) {
    if (cooling) {
        cooling_since_ = now;
    } else {
        cooled_ += std::chrono::duration_cast<policies::Duration>(now - cooling_since_);
    }
}

void CoolingController::want_frozen(bool frozen) {
    if (setup_.freezer != nullptr) setup_.freezer->want(GroupFreezer::Part::cooling, frozen);
}

void CoolingController::end() {
    uv_timer_stop(timer_.get());
    want_frozen(false);
    if (carried_out_) {
        if (setup_.broker != nullptr) setup_.broker->hold(setup_.service, setup_.index, false, false);
        note_cooled(false, policies::Clock::now());
        carried_out_ = false;
        owner_.on_cooling(false, "the program exited");
    }
    policy_.reset();
}

}  // namespace corral::supervisor
