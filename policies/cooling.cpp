#include "policies/cooling.hpp"

#include <cmath>
#include <cstdio>
#include <utility>

#include "base/text_format.hpp"

namespace corral::policies {
namespace {

// A threshold written in KiB, MiB or GiB is shown in those units, so the reason repeats what the user wrote.
bool binary_rate(double bytes_per_second) {
    return bytes_per_second >= 1024 && std::fmod(bytes_per_second, 1024.0) == 0;
}

std::string message_rate_text(double per_second) {
    char text[64];
    std::snprintf(text, sizeof text, per_second >= 100 ? "%.0f msg/s" : "%.1f msg/s", per_second);
    return text;
}

std::string percent_text(double percent, const char* format) {
    char text[64];
    std::snprintf(text, sizeof text, format, percent);
    return text;
}

}  // namespace

CoolingPolicy::CoolingPolicy(std::optional<CoolingParams> params, TimePoint now)
    : params_(std::move(params)), work_until_(now), cycle_start_(now) {}

std::string CoolingPolicy::trigger_reason(double value, Duration over_for) const {
    const CoolingParams& p = *params_;
    const std::string tail = " for " + format_period(over_for);
    switch (p.trigger) {
        case CoolingTrigger::write_rate: {
            const bool binary = binary_rate(p.threshold);
            return "write rate " + format_byte_rate(value, binary) + " over " +
                   format_byte_rate(p.threshold, binary) + tail;
        }
        case CoolingTrigger::ipc_rate:
            if (p.ipc_bytes) {
                const bool binary = binary_rate(p.threshold);
                return "ipc rate " + format_byte_rate(value, binary) + " over " +
                       format_byte_rate(p.threshold, binary) + tail;
            }
            return "ipc rate " + message_rate_text(value) + " over " + message_rate_text(p.threshold) + tail;
        case CoolingTrigger::memory:
            return "memory " + percent_text(value * 100, "%.0f%%") + " of memory.max over " +
                   percent_text(p.threshold * 100, "%.0f%%") + tail;
        case CoolingTrigger::pressure:
            return "memory pressure " + percent_text(value, "%.1f%%") + " over " +
                   percent_text(p.threshold, "%.1f%%") + tail;
        case CoolingTrigger::schedule: break;
    }
    return "schedule";
}

// A deadline further away than its whole length means the clock went backwards: pull it in.
void CoolingPolicy::clamp_deadlines(TimePoint now) {
    if (cooling_ && cool_until_ && *cool_until_ - now > cool_length_) cool_until_ = now + cool_length_;
    const Duration work = params_ ? params_->work : Duration::zero();
    if (work_until_ - now > work) work_until_ = now + work;
    if (over_since_ && *over_since_ > now) over_since_ = now;
}

CoolingTransition CoolingPolicy::start(Source source, TimePoint now, std::optional<Duration> length,
                                       std::string reason) {
    cooling_ = true;
    source_ = source;
    cool_length_ = length.value_or(Duration::zero());
    cool_until_ = length ? std::optional<TimePoint>(now + *length) : std::nullopt;
    over_ = false;
    over_since_.reset();
    reason_ = reason;
    return CoolingTransition{true, std::move(reason)};
}

CoolingTransition CoolingPolicy::stop(TimePoint now, std::string reason) {
    cooling_ = false;
    cool_until_.reset();
    cool_length_ = Duration::zero();
    work_until_ = now + (params_ ? params_->work : Duration::zero());
    cycle_start_ = now;
    over_ = false;
    over_since_.reset();
    reason_ = reason;
    return CoolingTransition{false, std::move(reason)};
}

// The end of an automatic cool period or of a manual one with a length (schedule cools are the cycle's).
std::optional<CoolingTransition> CoolingPolicy::end_timed_cool(TimePoint now) {
    if (!cooling_ || source_ == Source::schedule || !cool_until_ || now < *cool_until_) return std::nullopt;
    return stop(now, "cool period of " + format_period(cool_length_) + " over");
}

// The duty cycle: work for `work` from cycle_start_, then cool for `cool`, repeated. The phase is computed
// from the time since cycle_start_, so a late tick lands where the cycle is by then.
std::optional<CoolingTransition> CoolingPolicy::advance_schedule(TimePoint now) {
    if (!schedule() || (cooling_ && source_ != Source::schedule)) return std::nullopt;
    const Duration work = params_->work;
    const Duration cool = params_->cool;
    const Duration period = work + cool;
    if (period <= Duration::zero()) return std::nullopt;
    if (now < cycle_start_) cycle_start_ = cooling_ ? now - work : now;  // the clock went backwards
    const Clock::duration position = (now - cycle_start_) % std::chrono::duration_cast<Clock::duration>(period);
    cycle_start_ = now - position;
    const bool should_cool = position >= work;
    if (should_cool && !cooling_) {
        auto transition =
            start(Source::schedule, now, cool, "schedule: " + format_period(work) + " of work done");
        cool_until_ = cycle_start_ + period;
        return transition;
    }
    if (!should_cool && cooling_) {
        const TimePoint anchor = cycle_start_;
        auto transition = stop(now, "cool period of " + format_period(cool) + " over");
        cycle_start_ = anchor;
        return transition;
    }
    if (cooling_) cool_until_ = cycle_start_ + period;
    return std::nullopt;
}

std::optional<CoolingTransition> CoolingPolicy::tick(TimePoint now) {
    clamp_deadlines(now);
    if (auto ended = end_timed_cool(now)) return ended;
    return advance_schedule(now);
}

void CoolingPolicy::track_over(double value, TimePoint now) {
    const CoolingParams& p = *params_;
    if (!over_) {
        if (value > p.threshold) {
            over_ = true;
            over_since_ = now;
        }
    } else if (value < p.threshold * p.resume_below) {
        over_ = false;
        over_since_.reset();
    }
}

std::optional<CoolingTransition> CoolingPolicy::observe(double value, TimePoint now) {
    auto transition = tick(now);
    if (!std::isfinite(value)) return transition;
    last_value_ = value;
    if (!params_ || schedule() || cooling_) return transition;
    track_over(value, now);
    // A cool period that ended in this call restarts the over-timer; it cannot trigger again at once.
    if (transition || !over_ || now < work_until_) return transition;
    const Duration over_for = std::chrono::duration_cast<Duration>(now - *over_since_);
    if (over_for < params_->sustain) return std::nullopt;
    return start(Source::automatic, now, params_->cool, trigger_reason(value, over_for));
}

CoolingTransition CoolingPolicy::cool_manually(TimePoint now, std::optional<Duration> for_how_long) {
    if (for_how_long && *for_how_long < Duration::zero()) for_how_long = Duration::zero();
    std::string reason = "manual: corral cool";
    if (for_how_long) reason += " for " + format_period(*for_how_long);
    return start(Source::manual, now, for_how_long, std::move(reason));
}

CoolingTransition CoolingPolicy::heat(TimePoint now) { return stop(now, "manual: corral heat"); }

std::optional<CoolingTransition> CoolingPolicy::update(std::optional<CoolingParams> params, TimePoint now) {
    params_ = std::move(params);
    over_ = false;
    over_since_.reset();
    if (!cooling_) {
        cycle_start_ = now;
        clamp_deadlines(now);
        return std::nullopt;
    }
    if (source_ == Source::manual) return std::nullopt;
    if (!params_) return stop(now, "cooling removed from the service");
    // The cool period in progress runs to its end (no longer than the new `cool`); a schedule then starts
    // its cycle afresh (end_timed_cool -> stop sets cycle_start_).
    source_ = Source::automatic;
    if (cool_until_ && *cool_until_ - now > params_->cool) {
        cool_until_ = now + params_->cool;
        cool_length_ = params_->cool;
    }
    return std::nullopt;
}

bool CoolingPolicy::cooling(TimePoint now) const {
    CoolingPolicy copy = *this;
    copy.tick(now);
    return copy.cooling_;
}

std::optional<Duration> CoolingPolicy::time_left(TimePoint now) const {
    CoolingPolicy copy = *this;
    copy.tick(now);
    if (!copy.cooling_ || !copy.cool_until_) return std::nullopt;
    return std::chrono::duration_cast<Duration>(*copy.cool_until_ - now);
}

std::optional<TimePoint> CoolingPolicy::cooling_until() const { return cooling_ ? cool_until_ : std::nullopt; }

std::optional<TimePoint> CoolingPolicy::next_check(TimePoint now) const {
    CoolingPolicy copy = *this;
    copy.tick(now);
    if (copy.cooling_) return copy.cool_until_;
    if (copy.schedule()) return copy.cycle_start_ + copy.params_->work;
    return std::nullopt;
}

}  // namespace corral::policies
