#include "policies/cpu_percent.hpp"

namespace corral::policies {

std::optional<double> cpu_percent(std::uint64_t cpu_usec, std::int64_t wall_usec) {
    if (wall_usec <= 0) return std::nullopt;
    return 100.0 * static_cast<double>(cpu_usec) / static_cast<double>(wall_usec);
}

std::optional<double> CpuPercent::sample(std::uint64_t usage_usec, TimePoint now) {
    if (usage_usec_ && now <= at_) return last_;
    if (!usage_usec_ || usage_usec < *usage_usec_) {
        usage_usec_ = usage_usec;
        at_ = now;
        last_.reset();
        return last_;
    }
    const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(now - at_).count();
    last_ = cpu_percent(usage_usec - *usage_usec_, wall);
    usage_usec_ = usage_usec;
    at_ = now;
    return last_;
}

void CpuPercent::forget() {
    usage_usec_.reset();
    last_.reset();
}

}  // namespace corral::policies
