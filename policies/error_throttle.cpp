#include "policies/error_throttle.hpp"

#include <utility>

namespace corral::policies {

ThrottleVerdict ErrorThrottle::failed(const std::string& key, TimePoint now) {
    failing_ = true;
    if (last_key_ == key && now - last_logged_ < repeat_after_) {
        ++suppressed_;
        return {false, suppressed_};
    }
    last_key_ = key;
    last_logged_ = now;
    reported_ = true;
    return {true, std::exchange(suppressed_, 0)};
}

ThrottleVerdict ErrorThrottle::succeeded() {
    failing_ = false;
    if (!std::exchange(reported_, false)) return {};
    return {true, suppressed_};
}

}  // namespace corral::policies
