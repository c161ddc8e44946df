// Instance: cool periods. The policy (policies/cooling.hpp) decides; this carries its decisions out:
// while cooling, the broker delivers nothing to the instance (its messages wait in its queues, spilling as
// usual) and, when the instance is the heavy IPC sender or in freeze mode, stops reading its channel; in
// freeze mode its cgroup is frozen too. A stop, restart or kill thaws it first.
#include <spdlog/spdlog.h>

#include "base/text_format.hpp"
#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

using policies::CoolingMode;
using policies::CoolingTrigger;

namespace {

const char* mode_name(CoolingMode mode) { return mode == CoolingMode::freeze ? "freeze" : "hold"; }

}  // namespace

void Instance::start_cooling(policies::TimePoint now) {
    cooling_.emplace(spec_->cooling, now);
    cooling_carried_out_ = false;
    ipc_sent_.reset();
    carry_out(std::nullopt, now);
}

void Instance::sample_cooling(const cgroup::MemoryStats* stats, std::int64_t now_ms, policies::TimePoint now) {
    if (!cooling_ || !incarnation_) return;
    if (spec_->cooling != cooling_->params()) carry_out(cooling_->update(spec_->cooling, now), now);
    const auto& params = cooling_->params();
    if (!params) return;
    std::optional<double> value;
    switch (params->trigger) {
        case CoolingTrigger::write_rate:
            if (stats != nullptr && monitor_) value = monitor_->write_rate();
            break;
        case CoolingTrigger::memory:
            if (stats != nullptr && stats->max && *stats->max > 0) {
                value = static_cast<double>(stats->current) / static_cast<double>(*stats->max);
            }
            break;
        case CoolingTrigger::pressure:
            if (stats != nullptr) value = stats->psi_some_avg10;
            break;
        case CoolingTrigger::ipc_rate: {
            const auto sent = context_.broker != nullptr ? context_.broker->sent(spec_->name, index_) : std::nullopt;
            if (sent && ipc_sent_ && sent->first >= ipc_sent_->first && now_ms > ipc_sent_ms_) {
                const double delta = params->ipc_bytes ? static_cast<double>(sent->second - ipc_sent_->second)
                                                       : static_cast<double>(sent->first - ipc_sent_->first);
                value = delta * 1000.0 / static_cast<double>(now_ms - ipc_sent_ms_);
            }
            ipc_sent_ = sent;
            ipc_sent_ms_ = now_ms;
            break;
        }
        case CoolingTrigger::schedule:
            value = 0;
            break;
    }
    if (value) carry_out(cooling_->observe(*value, now), now);
}

std::optional<policies::CoolingTransition> Instance::cool(std::optional<policies::Duration> for_how_long) {
    if (!cooling_ || !incarnation_) return std::nullopt;
    const auto now = policies::Clock::now();
    policies::CoolingTransition transition = cooling_->cool_manually(now, for_how_long);
    carry_out(transition, now);
    return transition;
}

std::optional<policies::CoolingTransition> Instance::heat() {
    if (!cooling_ || !incarnation_) return std::nullopt;
    const auto now = policies::Clock::now();
    policies::CoolingTransition transition = cooling_->heat(now);
    carry_out(transition, now);
    return transition;
}

std::optional<Instance::CoolingState> Instance::cooling_state(policies::TimePoint now) const {
    if (!cooling_ || !cooling_carried_out_) return std::nullopt;
    return CoolingState{cooling_->mode(), cooling_->time_left(now), cooling_->reason()};
}

void Instance::carry_out(const std::optional<policies::CoolingTransition>& transition, policies::TimePoint now) {
    if (transition && transition->cooling != cooling_carried_out_) {
        const bool cooling = transition->cooling;
        const CoolingMode mode = cooling_->mode();
        const auto& params = cooling_->params();
        // The cooled instance's own sends stop being read when they are what made it hot (or it is frozen,
        // or cooled by hand); a sender that waits for send()'s callback then waits with them.
        const bool manual = transition->reason.starts_with("manual");
        const bool hold_sends =
            mode == CoolingMode::freeze || manual || (params && params->trigger == CoolingTrigger::ipc_rate);
        if (context_.broker != nullptr) context_.broker->hold(spec_->name, index_, cooling, cooling && hold_sends);
        // Never freeze an instance on its way down: it could not act on its stop signal (nor die of SIGKILL
        // under the v1 freezer).
        set_frozen(cooling && mode == CoolingMode::freeze && lifecycle_.state == policies::State::running);
        cooling_carried_out_ = cooling;
        if (cooling) {
            const auto left = cooling_->time_left(now);
            spdlog::warn("{}: cooling ({}) {}: {}", name_, mode_name(mode),
                         left ? "for " + format_duration(*left) : std::string("until corral heat"),
                         transition->reason);
        } else {
            spdlog::info("{}: working again: {}", name_, transition->reason);
        }
        if (context_.observer != nullptr) context_.observer->on_cooling(*this, cooling, transition->reason);
    }
    uv_timer_stop(cooling_timer_.get());
    if (!cooling_) return;
    if (const auto next = cooling_->next_check(now)) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count();
        uv_timer_start(cooling_timer_.get(), on_cooling_timer, static_cast<uint64_t>(std::max<long long>(0, wait)), 0);
    }
}

void Instance::on_cooling_timer(uv_timer_t* timer) {
    auto* self = static_cast<Instance*>(timer->data);
    if (!self->cooling_) return;
    const auto now = policies::Clock::now();
    self->carry_out(self->cooling_->tick(now), now);
}

void Instance::set_frozen(bool frozen) {
    if (frozen == frozen_ || !group_ || context_.cgroups == nullptr) return;
    if (const Status status = context_.cgroups->freeze(group_->name(), frozen); !status) {
        spdlog::error("{}: cannot {} its cgroup: {}", name_, frozen ? "freeze" : "thaw", status.error().message());
        return;
    }
    frozen_ = frozen;
}

void Instance::end_cooling() {
    uv_timer_stop(cooling_timer_.get());
    set_frozen(false);
    if (cooling_carried_out_) {
        if (context_.broker != nullptr) context_.broker->hold(spec_->name, index_, false, false);
        cooling_carried_out_ = false;
        if (context_.observer != nullptr) context_.observer->on_cooling(*this, false, "the program exited");
    }
    cooling_.reset();
}

}  // namespace corral::supervisor
