#include "policies/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace corral::policies {
namespace {

using std::chrono::nanoseconds;

constexpr double kNanosPerSecond = 1e9;
constexpr std::int64_t kLongestCost = 1'000'000'000'000'000'000;  // ~31 years: sums of a few never overflow

}  // namespace

TokenBucket::TokenBucket(double rate_per_second, double burst, TimePoint now)
    : rate_(rate_per_second), burst_(burst), full_at_(now) {
    burst_cost_ = cost(burst);
}

TokenBucket::Nanos TokenBucket::cost(double amount) const {
    if (!(amount > 0) || !(rate_ > 0)) return 0;
    const double nanos = amount / rate_ * kNanosPerSecond;
    return nanos >= static_cast<double>(kLongestCost) ? kLongestCost : std::llround(nanos);
}

TokenBucket::Nanos TokenBucket::late_by(double amount, TimePoint now) const {
    // Until full_at_ the bucket lacks (full_at_ - now) worth of tokens; the take fits when what it needs on
    // top of that (no more than a whole burst) is within the burst.
    const Nanos missing = std::max<Nanos>(0, std::chrono::duration_cast<nanoseconds>(full_at_ - now).count());
    return missing + std::min(cost(amount), burst_cost_) - burst_cost_;
}

bool TokenBucket::try_take(double amount, TimePoint now) {
    if (!(rate_ > 0)) return true;
    if (late_by(amount, now) > 0) return false;
    take(amount, now);
    return true;
}

void TokenBucket::take(double amount, TimePoint now) {
    if (!(rate_ > 0)) return;
    full_at_ = std::max(full_at_, now) + nanoseconds(cost(amount));
}

Duration TokenBucket::wait_for(double amount, TimePoint now) const {
    if (!(rate_ > 0)) return Duration::zero();
    const Nanos late = late_by(amount, now);
    if (late <= 0) return Duration::zero();
    constexpr Nanos kPerTick = std::chrono::duration_cast<nanoseconds>(Duration(1)).count();
    return Duration((late + kPerTick - 1) / kPerTick);
}

double TokenBucket::available(TimePoint now) const {
    if (!(rate_ > 0)) return std::numeric_limits<double>::infinity();
    const Nanos missing = std::max<Nanos>(0, std::chrono::duration_cast<nanoseconds>(full_at_ - now).count());
    return burst_ - static_cast<double>(missing) / kNanosPerSecond * rate_;
}

RouteLimiter::RouteLimiter(const RateParams& params, TimePoint now) {
    // A burst of 0 is one second's worth.
    if (params.messages_per_second) {
        const double rate = *params.messages_per_second;
        messages_.emplace(rate, params.burst_messages > 0 ? params.burst_messages : rate, now);
    }
    if (params.bytes_per_second) {
        const double rate = *params.bytes_per_second;
        bytes_.emplace(rate, params.burst_bytes > 0 ? params.burst_bytes : rate, now);
    }
}

bool RouteLimiter::admit(std::size_t bytes, TimePoint now, Duration early) {
    if (retry_in(bytes, now) > early) return false;
    if (messages_) messages_->take(1, now);
    if (bytes_) bytes_->take(static_cast<double>(bytes), now);
    return true;
}

// The buckets only fill up while waiting, so when both are ready is the later of their two times.
Duration RouteLimiter::retry_in(std::size_t bytes, TimePoint now) const {
    Duration wait = Duration::zero();
    if (messages_) wait = std::max(wait, messages_->wait_for(1, now));
    if (bytes_) wait = std::max(wait, bytes_->wait_for(static_cast<double>(bytes), now));
    return wait;
}

}  // namespace corral::policies
