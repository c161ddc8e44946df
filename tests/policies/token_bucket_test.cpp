#include "policies/token_bucket.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <random>

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {
TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }

RateParams rates(std::optional<double> messages, std::optional<double> bytes, double burst_messages = 0,
                 double burst_bytes = 0) {
    RateParams params;
    params.messages_per_second = messages;
    params.bytes_per_second = bytes;
    params.burst_messages = burst_messages;
    params.burst_bytes = burst_bytes;
    return params;
}
}  // namespace

TEST_CASE("token bucket: starts full - a take waits for its tokens to the millisecond") {
    TokenBucket bucket(10, 5, at(0));
    CHECK(bucket.available(at(0)) == 5);
    for (int i = 0; i < 5; ++i) CHECK(bucket.try_take(1, at(0)));
    CHECK_FALSE(bucket.try_take(1, at(0)));
    CHECK(bucket.available(at(0)) == 0);
    CHECK(bucket.wait_for(1, at(0)) == milliseconds(100));
    CHECK(bucket.wait_for(2, at(0)) == milliseconds(200));
    CHECK(bucket.wait_for(1, at(30)) == milliseconds(70));
    CHECK_FALSE(bucket.try_take(1, at(99)));
    CHECK(bucket.try_take(1, at(100)));
    CHECK(bucket.wait_for(1, at(100)) == milliseconds(100));
    CHECK(bucket.available(at(150)) == doctest::Approx(0.5));
}

TEST_CASE("token bucket: refills up to the burst and no further") {
    TokenBucket bucket(10, 5, at(0));
    CHECK(bucket.try_take(5, at(0)));
    CHECK(bucket.available(at(250)) == doctest::Approx(2.5));
    CHECK(bucket.available(at(500)) == 5);
    CHECK(bucket.available(at(60'000)) == 5);
    CHECK(bucket.try_take(5, at(60'000)));
    CHECK_FALSE(bucket.try_take(0.5, at(60'000)));
    CHECK(bucket.wait_for(0, at(60'000)) == milliseconds(0));
}

TEST_CASE("token bucket: a refused take takes nothing") {
    TokenBucket bucket(1, 3, at(0));
    CHECK(bucket.try_take(2, at(0)));
    CHECK_FALSE(bucket.try_take(2, at(0)));
    CHECK_FALSE(bucket.try_take(2, at(999)));
    CHECK(bucket.available(at(999)) == doctest::Approx(1.999));
    CHECK(bucket.try_take(2, at(1000)));
}

TEST_CASE("token bucket: waits round up to whole milliseconds and are never early") {
    TokenBucket bucket(3, 3, at(0));  // a token every 333.33 ms
    CHECK(bucket.try_take(3, at(0)));
    CHECK(bucket.wait_for(1, at(0)) == milliseconds(334));
    CHECK_FALSE(bucket.try_take(1, at(333)));
    CHECK(bucket.try_take(1, at(334)));
    // The 0.67 ms waited too long counts towards the next token: three take exactly a second.
    CHECK(bucket.wait_for(1, at(334)) == milliseconds(333));
    CHECK(bucket.try_take(1, at(667)));
    CHECK(bucket.wait_for(1, at(667)) == milliseconds(333));
    CHECK(bucket.try_take(1, at(1000)));
    CHECK_FALSE(bucket.try_take(1, at(1333)));
    CHECK(bucket.try_take(1, at(1334)));
}

TEST_CASE("token bucket: a take above the burst passes on a full bucket and leaves a debt") {
    TokenBucket bucket(10, 10, at(0));
    CHECK(bucket.try_take(25, at(0)));
    CHECK(bucket.available(at(0)) == -15);
    CHECK(bucket.wait_for(1, at(0)) == milliseconds(1600));
    CHECK(bucket.wait_for(25, at(0)) == milliseconds(2500));  // full again
    CHECK_FALSE(bucket.try_take(1, at(1599)));
    CHECK(bucket.try_take(1, at(1600)));

    // Not before the bucket is full.
    TokenBucket other(10, 10, at(0));
    CHECK(other.try_take(1, at(0)));
    CHECK(other.wait_for(25, at(0)) == milliseconds(100));
    CHECK_FALSE(other.try_take(25, at(99)));
    CHECK(other.try_take(25, at(100)));
}

TEST_CASE("token bucket: a default one never limits - a clock going back refills nothing") {
    TokenBucket unlimited;
    for (int i = 0; i < 1000; ++i) CHECK(unlimited.try_take(1e9, at(0)));
    CHECK(unlimited.wait_for(1e12, at(0)) == milliseconds(0));

    TokenBucket bucket(10, 1, at(10'000));
    CHECK(bucket.try_take(1, at(10'000)));
    CHECK_FALSE(bucket.try_take(1, at(5'000)));
    CHECK(bucket.wait_for(1, at(5'000)) == milliseconds(5'100));
    CHECK(bucket.try_take(1, at(10'100)));
}

TEST_CASE("token bucket: a tiny rate and a huge amount do not overflow") {
    TokenBucket bucket(1e-9, 1e-9, at(0));
    CHECK(bucket.try_take(1e300, at(0)));
    const auto wait = bucket.wait_for(1, at(0));
    CHECK(wait > std::chrono::hours(24 * 365 * 30));
    CHECK(wait < std::chrono::hours(24 * 365 * 33));
    CHECK_FALSE(bucket.try_take(1, at(1'000'000)));
}

TEST_CASE("route limiter: without rates everything passes at once") {
    RouteLimiter none(RateParams{}, at(0));
    for (int i = 0; i < 10'000; ++i) CHECK(none.admit(1 << 20, at(0)));
    CHECK(none.retry_in(1 << 30, at(0)) == milliseconds(0));
    RouteLimiter defaulted;
    CHECK(defaulted.admit(100, at(0)));
}

TEST_CASE("route limiter: a burst of 0 is one second's worth") {
    RouteLimiter messages(rates(100, std::nullopt), at(0));
    int admitted = 0;
    while (messages.admit(10, at(0))) ++admitted;
    CHECK(admitted == 100);
    CHECK(messages.retry_in(10, at(0)) == milliseconds(10));

    RouteLimiter bytes(rates(std::nullopt, 1000), at(0));
    CHECK(bytes.admit(600, at(0)));
    CHECK_FALSE(bytes.admit(600, at(0)));
    CHECK(bytes.retry_in(600, at(0)) == milliseconds(200));
    CHECK(bytes.admit(600, at(200)));

    // Below one message a second: one message, then the rate.
    RouteLimiter slow(rates(0.5, std::nullopt), at(0));
    CHECK(slow.admit(1, at(0)));
    CHECK(slow.retry_in(1, at(0)) == milliseconds(2000));
    CHECK(slow.admit(1, at(2000)));
}

TEST_CASE("route limiter: both buckets must admit and a refusal takes from neither") {
    const RateParams params = rates(10, 1000, 2, 500);
    RouteLimiter limiter(params, at(0));
    CHECK(limiter.admit(400, at(0)));
    // Messages left: 1; bytes left: 100.
    CHECK_FALSE(limiter.admit(200, at(0)));
    CHECK(limiter.retry_in(200, at(0)) == milliseconds(100));
    CHECK(limiter.admit(100, at(0)));
    // Messages empty (100 ms each), bytes empty (1 ms each): the later one decides.
    CHECK(limiter.retry_in(1, at(0)) == milliseconds(100));
    CHECK(limiter.retry_in(300, at(0)) == milliseconds(300));
    CHECK_FALSE(limiter.admit(300, at(299)));
    CHECK(limiter.retry_in(300, at(299)) == milliseconds(1));
    CHECK(limiter.admit(300, at(300)));
}

TEST_CASE("route limiter: a message larger than the byte burst passes once the bucket is full") {
    RouteLimiter limiter(rates(std::nullopt, 64 * 1024, 0, 64 * 1024), at(0));
    CHECK(limiter.admit(10, at(0)));
    CHECK_FALSE(limiter.admit(1 << 20, at(0)));
    const auto wait = limiter.retry_in(1 << 20, at(0));
    CHECK(wait == milliseconds(1));  // 10 bytes at 64 KiB/s: 0.15 ms
    CHECK(limiter.admit(1 << 20, at(1)));
    // 1 MiB at 64 KiB/s is 16 s, one of which the burst covered.
    CHECK(limiter.retry_in(1, at(1)) == milliseconds(15'001));
    CHECK(limiter.admit(1, at(15'002)));
}

TEST_CASE("route limiter: a greedy sender gets the burst then the rate exactly") {
    RouteLimiter limiter(rates(2000, std::nullopt, 500), at(0));
    long admitted = 0;
    for (long ms = 0; ms <= 10'000; ++ms) {
        while (limiter.admit(100, at(ms))) ++admitted;
    }
    CHECK(admitted == 500 + 2000 * 10);
}

TEST_CASE("route limiter: retry_in is exact for arbitrary rates - sizes and times") {
    std::mt19937 random(20261125);
    for (int round = 0; round < 200; ++round) {
        const RateParams params = rates(std::uniform_real_distribution<double>(0.3, 5000)(random),
                                        std::uniform_real_distribution<double>(10, 1e7)(random),
                                        std::uniform_int_distribution<int>(0, 50)(random),
                                        std::uniform_real_distribution<double>(0, 1e5)(random));
        RouteLimiter limiter(params, at(0));
        long now = 0;
        for (int step = 0; step < 50; ++step) {
            const std::size_t bytes = std::uniform_int_distribution<std::size_t>(0, 200'000)(random);
            const auto wait = limiter.retry_in(bytes, at(now));
            CAPTURE(round);
            CAPTURE(step);
            if (wait > milliseconds(0)) {
                RouteLimiter early = limiter;
                CHECK_FALSE(early.admit(bytes, at(now + wait.count() - 1)));
            }
            now += wait.count();
            CHECK(limiter.admit(bytes, at(now)));
            now += std::uniform_int_distribution<long>(0, 3)(random);
        }
    }
}

TEST_CASE("route limiter: admitting up to 1 ms early keeps the long-run rate exact") {
    // 1000 messages a second, burst 1: a caller woken 1 ms early every time still gets exactly the rate,
    // and never more than one message beyond the burst.
    RateParams params;
    params.messages_per_second = 1000;
    params.burst_messages = 1;
    RouteLimiter limiter(params, at(0));
    CHECK(limiter.admit(10, at(0), Duration(1)));
    CHECK(limiter.admit(10, at(0), Duration(1)));  // 1 ms early: the burst plus one
    CHECK_FALSE(limiter.admit(10, at(0), Duration(1)));
    long admitted = 2;
    for (long ms = 1; ms <= 10'000; ++ms) {
        while (limiter.admit(10, at(ms), Duration(1))) ++admitted;
    }
    CHECK(admitted == 10'002);
    CHECK_FALSE(limiter.admit(10, at(10'000), Duration(0)));
}
