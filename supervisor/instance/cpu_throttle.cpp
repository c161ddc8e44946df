#include "supervisor/instance/cpu_throttle.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/text_format.hpp"
#include "supervisor/instance/required_timer.hpp"

namespace corral::supervisor {

CpuThrottle::CpuThrottle(uv_loop_t* loop, Setup setup)
    : setup_(std::move(setup)), timer_(required_timer(loop, setup_.name, this)) {}

CpuThrottle::~CpuThrottle() { end(); }

void CpuThrottle::start(const std::optional<policies::SenderThrottleParams>& params, std::string group,
                        std::optional<unsigned> configured_cap) {
    end();
    group_ = std::move(group);
    configured_cap_ = configured_cap;
    if (!params || setup_.broker == nullptr || setup_.cgroups == nullptr || group_.empty()) return;
    if (policy_) {
        policy_->set_params(*params);
    } else {
        policy_.emplace(*params);
    }
    setup_.broker->watch_unread(setup_.service, setup_.index,
                                [this](const ipc::SenderBacklog& backlog) { on_backlog(backlog); });
    watching_ = true;
}

void CpuThrottle::end() {
    if (watching_ && setup_.broker != nullptr) setup_.broker->watch_unread(setup_.service, setup_.index, {});
    watching_ = false;
    uv_timer_stop(timer_.get());
    period_ms_ = 0;
    if (freeze_.frozen()) {
        freeze_.release();
        thaw(policies::Clock::now());
    }
    if (policy_ && policy_->release(policies::Clock::now())) {
        // The group outlives the incarnation: the next one starts with the configured cap.
        apply(false);
        spdlog::info("{}: CPU throttle lifted: the instance is gone", setup_.name);
    }
}

void CpuThrottle::set_configured_cap(std::optional<unsigned> configured_cap) {
    configured_cap_ = configured_cap;
    if (policy_ && policy_->engaged() && apply(true)) {
        spdlog::info("{}: CPU throttle kept at {}% of a CPU after the reload", setup_.name, throttled_cap());
    }
}

std::optional<CpuThrottle::State> CpuThrottle::state() const {
    const bool throttled = policy_ && policy_->engaged();
    // A stop thaws the cgroup before the policy hears of it: what is shown is the cgroup's state.
    const bool frozen = freeze_.frozen() && setup_.freezer != nullptr && setup_.freezer->frozen();
    if (!throttled && !frozen) return std::nullopt;
    State state;
    state.frozen = frozen;
    if (throttled) {
        state.since = *policy_->engaged_since();
        state.peak_unread = policy_->peak_unread();
        state.cpu_percent = throttled_cap();
    } else {
        state.since = frozen_since_;
    }
    return state;
}

unsigned CpuThrottle::throttled_cap() const {
    const unsigned wanted = policy_ ? policy_->cap_percent() : 0;
    return configured_cap_ ? std::min(*configured_cap_, wanted) : wanted;
}

void CpuThrottle::on_timer(uv_timer_t* timer) {
    auto* self = static_cast<CpuThrottle*>(timer->data);
    if (!self->watching_ || self->setup_.broker == nullptr) return;
    // Gone channel: nothing waits unread any more.
    const auto backlog = self->setup_.broker->backlog_of(self->setup_.service, self->setup_.index);
    self->on_backlog(backlog.value_or(ipc::SenderBacklog{}));
}

void CpuThrottle::on_backlog(const ipc::SenderBacklog& backlog) {
    throttle(backlog.behind);
    freeze(backlog);
    schedule(backlog.read);
}

void CpuThrottle::schedule(bool read) {
    std::uint64_t period = 0;
    if (freeze_.frozen() || !read) {
        period = static_cast<std::uint64_t>(kUnreadCheck.count());
    } else if (policy_ && policy_->engaged()) {
        period = static_cast<std::uint64_t>(kCheck.count());
    }
    if (period == period_ms_) return;
    period_ms_ = period;
    if (period == 0) {
        uv_timer_stop(timer_.get());
    } else {
        uv_timer_start(timer_.get(), on_timer, period, period);
    }
}

void CpuThrottle::freeze(const ipc::SenderBacklog& backlog) {
    // On its way down it is not frozen (a stop thaws it first); a freeze in force is still ended by the
    // policy, so that it is counted and logged.
    if (setup_.freezer == nullptr || (!freeze_.frozen() && !setup_.freezer->may_freeze())) return;
    const auto& channel = backlog.channel;
    switch (freeze_.sample(channel)) {
        case policies::FreezeDecision::none: return;
        case policies::FreezeDecision::freeze:
            if (!setup_.freezer->want(GroupFreezer::Part::channel, true)) {
                freeze_.failed();  // the cgroup write failed (logged): the next sample tries again
                return;
            }
            frozen_since_ = policies::Clock::now();
            spdlog::warn("{}: frozen: its channel is a quarter full ({} unread, about {} of its {} socket buffer); "
                         "frozen until corral has read it down, before Node would keep what it sends in its own "
                         "memory; freeze #{}",
                         setup_.name, format_size(channel.unread),
                         format_size(policies::ChannelFreeze::charge(channel)), format_size(channel.capacity),
                         freeze_.freezes());
            return;
        case policies::FreezeDecision::thaw: {
            const policies::TimePoint now = policies::Clock::now();
            thaw(now);
            spdlog::info("{}: thawed: corral read its channel down to {} unread; frozen {}", setup_.name,
                         format_size(channel.unread),
                         format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(now - frozen_since_)));
            return;
        }
    }
}

void CpuThrottle::thaw(policies::TimePoint now) {
    if (setup_.freezer != nullptr) setup_.freezer->want(GroupFreezer::Part::channel, false);
    frozen_before_ += std::chrono::duration_cast<policies::Duration>(now - frozen_since_);
}

policies::Duration CpuThrottle::frozen_for(policies::TimePoint now) const {
    if (!freeze_.frozen()) return frozen_before_;
    return frozen_before_ + std::chrono::duration_cast<policies::Duration>(now - frozen_since_);
}

void CpuThrottle::throttle(std::size_t unread) {
    if (!policy_) return;
    const policies::TimePoint now = policies::Clock::now();
    switch (policy_->sample(now, unread)) {
        case policies::ThrottleDecision::none: return;
        case policies::ThrottleDecision::engage: {
            const auto& params = policy_->params();
            apply(true);
            spdlog::warn("{}: CPU throttled to {}% of a CPU: {} of what it sent wait unread or unwritten (above {} for {}); "
                         "throttle #{}",
                         setup_.name, throttled_cap(), format_size(unread), format_size(params.above),
                         format_duration(params.for_), policy_->engagements());
            return;
        }
        case policies::ThrottleDecision::tighten:
            apply(true);
            spdlog::warn("{}: CPU throttled further, to {}% of a CPU: {} of what it sent still wait (at least {} "
                         "for {})",
                         setup_.name, throttled_cap(), format_size(unread),
                         format_size(policies::SenderThrottle::kAtOnce * policy_->params().above),
                         format_duration(policies::SenderThrottle::kTightenAfter));
            return;
        case policies::ThrottleDecision::lift:
            apply(false);
            spdlog::info("{}: CPU throttle lifted: corral caught up ({} waiting, at most {} while throttled); "
                         "throttled {} in all",
                         setup_.name, format_size(unread), format_size(policy_->peak_unread()),
                         format_duration(policy_->throttled_for(now)));
            return;
    }
}

bool CpuThrottle::apply(bool throttled) {
    const std::optional<unsigned> cap = throttled ? std::optional(throttled_cap()) : configured_cap_;
    if (Status set = setup_.cgroups->set_cpu_max(group_, cap); !set) {
        spdlog::error("{}: cannot {} its CPU: {}", setup_.name, throttled ? "throttle" : "restore",
                      set.error().message());
        return false;
    }
    return true;
}

}  // namespace corral::supervisor
