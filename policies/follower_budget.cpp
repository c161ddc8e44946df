#include "policies/follower_budget.hpp"

#include <algorithm>

namespace corral::policies {

void FollowerBudget::leave() {
    if (followers_ > 0) --followers_;
}

std::size_t FollowerBudget::share() const {
    const std::size_t even = limits_.total / std::max<std::size_t>(followers_, 1);
    return std::clamp(even, std::min(limits_.floor, limits_.cap), limits_.cap);
}

bool FollowerBudget::over(std::size_t waiting, std::size_t more) const {
    if (waiting + more > share()) return true;
    const std::size_t whole = std::max(limits_.total, followers_ * std::min(limits_.floor, limits_.cap));
    return held_ + more > whole && waiting + more > std::min(limits_.floor, limits_.cap);
}

void FollowerBudget::release(std::size_t bytes) { held_ -= std::min(bytes, held_); }

bool FollowerBudget::trim_due(std::size_t threshold) {
    if (freed_since_trim_ < threshold) return false;
    freed_since_trim_ = 0;
    return true;
}

}  // namespace corral::policies
