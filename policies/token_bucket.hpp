#pragma once
// Rate limits of a route (pure; the clock is passed in): a token bucket on messages per second and one on
// bytes per second, each with a burst. A message passes when both buckets hold enough tokens; otherwise
// the caller keeps it queued and asks when to try again.
#include <cstddef>
#include <optional>

#include "policies/clock.hpp"

namespace corral::policies {

struct RateParams {
    std::optional<double> messages_per_second;
    std::optional<double> bytes_per_second;
    double burst_messages = 0;  // 0: one second's worth
    double burst_bytes = 0;     // 0: one second's worth

    bool operator==(const RateParams&) const = default;
    bool limited() const { return messages_per_second || bytes_per_second; }
};

class TokenBucket {
public:
    TokenBucket() = default;
    TokenBucket(double rate_per_second, double burst, TimePoint now);

    // Takes `amount` tokens if there are enough.
    bool try_take(double amount, TimePoint now);
    // How long until `amount` tokens are there (0 when they are now).
    Duration wait_for(double amount, TimePoint now) const;
    double available(TimePoint now) const;

private:
    double rate_ = 0;
    double burst_ = 0;
    double tokens_ = 0;
    TimePoint updated_{};
};

class RouteLimiter {
public:
    RouteLimiter() = default;
    RouteLimiter(const RateParams& params, TimePoint now);

    // Admits one message of `bytes` bytes now, or not (nothing is taken then).
    bool admit(std::size_t bytes, TimePoint now);
    // When a message of `bytes` bytes would be admitted.
    Duration retry_in(std::size_t bytes, TimePoint now) const;

private:
    std::optional<TokenBucket> messages_;
    std::optional<TokenBucket> bytes_;
};

}  // namespace corral::policies
