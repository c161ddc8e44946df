#include "policies/sender_throttle.hpp"

#include <algorithm>

namespace corral::policies {

ThrottleDecision SenderThrottle::sample(TimePoint now, std::size_t unread) {
    if (engaged_since_) {
        peak_ = std::max(peak_, unread);
        if (now - *engaged_since_ >= kLeastEngaged && unread <= params_.above / kLiftShare) {
            throttled_ += std::chrono::duration_cast<Duration>(now - *engaged_since_);
            engaged_since_.reset();
            lifted_at_ = now;
            above_since_.reset();
            far_behind_since_.reset();
            return ThrottleDecision::lift;
        }
        if (unread < kAtOnce * params_.above) {
            far_behind_since_.reset();
            return ThrottleDecision::none;
        }
        if (!far_behind_since_) far_behind_since_ = now;
        const TimePoint since = std::max(*far_behind_since_, cap_set_);
        if (now - since < kTightenAfter || cap_ <= kFloorPercent) return ThrottleDecision::none;
        cap_ = std::max(kFloorPercent, cap_ / 2);
        cap_set_ = now;
        return ThrottleDecision::tighten;
    }
    if (unread < params_.above || params_.above == 0) {
        above_since_.reset();
        return ThrottleDecision::none;
    }
    if (!above_since_) above_since_ = now;
    if (now - *above_since_ < params_.for_ && unread < kAtOnce * params_.above) return ThrottleDecision::none;
    engaged_since_ = now;
    // Behind again soon after a lift: the cap it had then was not too tight, and the one before was not
    // enough; starting over at `cpu_percent` would let it run ahead again every time.
    const bool soon = lifted_at_ && now - *lifted_at_ < kRemembered;
    cap_ = soon ? std::min(cap_, params_.cpu_percent) : params_.cpu_percent;
    cap_set_ = now;
    far_behind_since_.reset();
    peak_ = unread;
    ++engagements_;
    return ThrottleDecision::engage;
}

bool SenderThrottle::release(TimePoint now) {
    above_since_.reset();
    far_behind_since_.reset();
    if (!engaged_since_) return false;
    throttled_ += std::chrono::duration_cast<Duration>(now - *engaged_since_);
    engaged_since_.reset();
    return true;
}

Duration SenderThrottle::throttled_for(TimePoint now) const {
    if (!engaged_since_) return throttled_;
    return throttled_ + std::chrono::duration_cast<Duration>(now - *engaged_since_);
}

}  // namespace corral::policies
