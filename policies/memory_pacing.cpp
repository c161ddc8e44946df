#include "policies/memory_pacing.hpp"

namespace corral::policies {
namespace {

bool near_limit(const MemoryPacingParams& params, std::uint64_t current, std::optional<std::uint64_t> max) {
    if (!max || *max == 0) return false;
    const std::uint64_t pct = params.near_limit_percent;
    return current >= *max / 100 * pct + *max % 100 * pct / 100;
}

}  // namespace

bool MemoryPacing::full_read_due(const MemoryPacingParams& params, std::optional<std::uint64_t> current,
                                 TimePoint now) const {
    if (!last_ || !current || pressed_) return true;
    const std::uint64_t moved = *current > last_->current ? *current - last_->current : last_->current - *current;
    if (moved >= params.moved_bytes) return true;
    if (near_limit(params, *current, last_->max)) return true;
    return now - last_->at >= params.calm_every;
}

void MemoryPacing::on_full_read(const MemoryPacingParams& params, const PacingReading& reading) {
    pressed_ = near_limit(params, reading.current, reading.max);
    if (last_) {
        const bool stalled = reading.full_stall_us && last_->full_stall_us && *reading.full_stall_us != *last_->full_stall_us;
        pressed_ = pressed_ || stalled || reading.refaults != last_->refaults || reading.limit_hits != last_->limit_hits;
    }
    last_ = reading;
}

}  // namespace corral::policies
