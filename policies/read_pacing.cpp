#include "policies/read_pacing.hpp"

namespace corral::policies {

bool ReadPacing::on_read(TimePoint now, std::size_t frames) {
    const bool close_behind = streak_ > 0 && now - last_read_ < kTick;
    last_read_ = now;
    if (frames == 0) {
        streak_ = 0;
        return paced_;
    }
    streak_ = close_behind ? streak_ + 1 : 1;
    if (streak_ >= kStreak) paced_ = true;
    return paced_;
}

bool ReadPacing::on_tick(std::size_t frames) {
    if (frames <= 1) {
        paced_ = false;
        streak_ = 0;
    }
    return paced_;
}

void ReadPacing::on_write() {
    paced_ = false;
    streak_ = 0;
}

}  // namespace corral::policies
