#include "policies/read_pacing.hpp"

namespace corral::policies {

bool ReadPacing::on_read(TimePoint now, std::size_t frames, std::size_t bytes) {
    const bool close_behind = streak_ > 0 && now - last_read_ < kTick;
    last_read_ = now;
    if (frames == 0 || budget_ == 0) {
        streak_ = 0;
        return paced_;
    }
    if (!close_behind) {
        restart_streak(now);
        return paced_;
    }
    ++streak_;
    streak_load_ += load(frames, bytes);
    if (streak_ < kStreak) return paced_;
    const auto elapsed = std::chrono::duration<double>(now - streak_start_).count();
    const double per_tick = static_cast<double>(streak_load_) * std::chrono::duration<double>(kTick).count() /
                            (elapsed > 0 ? elapsed : 1e-9);
    if (per_tick <= static_cast<double>(budget_)) {
        paced_ = true;
    } else {
        restart_streak(now);  // too heavy to wait for ticks: look again from here
    }
    return paced_;
}

void ReadPacing::restart_streak(TimePoint now) {
    // The first read's bytes were written before the streak began: its rate counts from here.
    streak_ = 1;
    streak_load_ = 0;
    streak_start_ = now;
}

bool ReadPacing::on_tick(std::size_t frames, std::size_t bytes) {
    if (frames <= 1 || load(frames, bytes) > budget_) {
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
