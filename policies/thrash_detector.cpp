#include "policies/thrash_detector.hpp"

namespace corral::policies {

bool ThrashDetector::triggered_recently(TimePoint now) const {
    return last_trigger_ && now - *last_trigger_ <= 2 * kPressureTriggerWindow + Duration(500);
}

void ThrashDetector::on_trigger(TimePoint now) {
    last_trigger_ = now;
    if (!high_since_) high_since_ = now;
}

bool ThrashDetector::on_sample(const ThrashParams& params, TimePoint now, double full_avg10_percent) {
    if (!params.enabled) return false;
    const bool high = triggered_recently(now) || full_avg10_percent > static_cast<double>(params.full_percent);
    if (!high) {
        high_since_.reset();
        return false;
    }
    if (!high_since_) high_since_ = now;
    return now - *high_since_ >= params.window;
}

void ThrashDetector::reset() {
    last_trigger_.reset();
    high_since_.reset();
}

}  // namespace corral::policies
