#include "policies/error_throttle.hpp"

#include <utility>

namespace corral::policies {

ThrottleVerdict ErrorThrottle::failed(const std::string& key, TimePoint now) {
    const bool same = last_key_ == key;
    if (same && now - last_logged_ < repeat_after_) {
        ++suppressed_;
        return {false, suppressed_};
    }
    last_key_ = key;
    last_logged_ = now;
    return {true, std::exchange(suppressed_, 0)};
}

ThrottleVerdict ErrorThrottle::succeeded() {
    if (!last_key_) return {};
    last_key_.reset();
    return {true, std::exchange(suppressed_, 0)};
}

}  // namespace corral::policies
