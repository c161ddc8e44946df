#include "policies/thrash_detector.hpp"

#include <chrono>

namespace corral::policies {

namespace {

// The measurement between two samples (`to` later than `from`); counters that went back (a new cgroup)
// count as zero.
ThrashMeasure measure_between(const ThrashSample& from, const ThrashSample& to) {
    ThrashMeasure measure;
    measure.span = std::chrono::duration_cast<Duration>(to.at - from.at);
    const double seconds = std::chrono::duration<double>(to.at - from.at).count();
    if (seconds <= 0) return measure;
    if (from.full_stall_us && to.full_stall_us) {
        const std::uint64_t stalled = *to.full_stall_us >= *from.full_stall_us ? *to.full_stall_us - *from.full_stall_us : 0;
        measure.full_percent = static_cast<double>(stalled) / 1e6 / seconds * 100.0;
    }
    const std::uint64_t refaults = to.refaults >= from.refaults ? to.refaults - from.refaults : 0;
    measure.refaults_per_s = static_cast<double>(refaults) / seconds;
    return measure;
}

}  // namespace

bool is_thrashing(const ThrashParams& params, const ThrashMeasure& measure) {
    if (!params.enabled) return false;
    if (measure.full_percent && *measure.full_percent >= static_cast<double>(params.full_percent)) return true;
    return measure.refaults_per_s >= kThrashRefaultsPerSecond;
}

std::optional<ThrashMeasure> ThrashDetector::on_sample(const ThrashParams& params, const ThrashSample& sample) {
    if (!params.enabled) return std::nullopt;
    if (!samples_.empty() && sample.at <= samples_.back().at) return std::nullopt;  // out of order: ignored
    samples_.push_back(sample);
    // Keep the newest sample at least a window old, and everything after it.
    while (samples_.size() >= 2 && sample.at - samples_[1].at >= params.window) samples_.pop_front();
    if (samples_.size() < 2 || sample.at - samples_.front().at < params.window) return std::nullopt;
    const ThrashMeasure measure = measure_between(samples_.front(), sample);
    if (!is_thrashing(params, measure)) return std::nullopt;
    return measure;
}

}  // namespace corral::policies
