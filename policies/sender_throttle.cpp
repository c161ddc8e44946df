#include "policies/sender_throttle.hpp"

#include <algorithm>

namespace corral::policies {

ThrottleDecision SenderThrottle::sample(TimePoint now, std::size_t unread) {
    if (engaged_since_) {
        peak_ = std::max(peak_, unread);
        if (now - *engaged_since_ >= kLeastEngaged && unread <= params_.above / kLiftShare) {
            throttled_ += std::chrono::duration_cast<Duration>(now - *engaged_since_);
            engaged_since_.reset();
            above_since_.reset();
            return ThrottleDecision::lift;
        }
        return ThrottleDecision::none;
    }
    if (unread < params_.above || params_.above == 0) {
        above_since_.reset();
        return ThrottleDecision::none;
    }
    if (!above_since_) above_since_ = now;
    if (now - *above_since_ < params_.for_ && unread < kAtOnce * params_.above) return ThrottleDecision::none;
    engaged_since_ = now;
    peak_ = unread;
    ++engagements_;
    return ThrottleDecision::engage;
}

bool SenderThrottle::release(TimePoint now) {
    above_since_.reset();
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
