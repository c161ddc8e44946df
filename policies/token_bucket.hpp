#pragma once
// Rate limits of a route (pure; the clock is passed in): a token bucket on messages per second and one on
// bytes per second, each with a burst. A message passes when both buckets hold enough tokens; otherwise
// the caller keeps it queued and asks when to try again.
//
// A take larger than the burst could never find that many tokens: it is allowed when the bucket is full,
// and takes it below zero, so that the debt holds the average rate (a 1 MiB message on a 64 KiB/s route
// with a 64 KiB burst passes at once on a rested route, then the route waits 15 s for its next bytes).
//
// Kept exact in integer nanoseconds, the way GCRA does it: the state is the time at which the bucket is
// full again, and a take of n tokens moves it n/rate later. So retry_in is exact: at now + retry_in (whole
// milliseconds, rounded up) the same admit succeeds, and a millisecond earlier it does not.
// Waits are capped at ~31 years. A bucket with a rate <= 0 (as default-constructed) never limits.
#include <cstddef>
#include <cstdint>
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

    // Takes `amount` tokens if there are enough (for an amount above the burst: if the bucket is full).
    bool try_take(double amount, TimePoint now);
    // Takes them whether they are there or not (the bucket goes into debt).
    void take(double amount, TimePoint now);
    // How long until `amount` tokens are there (0 when they are now).
    Duration wait_for(double amount, TimePoint now) const;
    // Negative while a take above the burst is being paid off.
    double available(TimePoint now) const;

private:
    using Nanos = std::int64_t;
    Nanos cost(double amount) const;  // how long `amount` tokens take to come back
    Nanos late_by(double amount, TimePoint now) const;  // <= 0: the take fits now

    double rate_ = 0;
    double burst_ = 0;
    Nanos burst_cost_ = 0;  // cost(burst_)
    TimePoint full_at_{};   // when the bucket is full again; in the past: it is full
};

class RouteLimiter {
public:
    RouteLimiter() = default;
    RouteLimiter(const RateParams& params, TimePoint now);

    // Admits one message of `bytes` bytes now, or not (nothing is taken then). `early`: admit it up to
    // that long before its time, for a caller woken by timers that may fire that early (libuv's have
    // millisecond granularity). The tokens come out of the bucket's future, so the long-run rate stays
    // exact; only the burst may be exceeded, by `early` worth of tokens.
    bool admit(std::size_t bytes, TimePoint now, Duration early = Duration::zero());
    // When a message of `bytes` bytes would be admitted.
    Duration retry_in(std::size_t bytes, TimePoint now) const;

private:
    std::optional<TokenBucket> messages_;
    std::optional<TokenBucket> bytes_;
};

}  // namespace corral::policies
