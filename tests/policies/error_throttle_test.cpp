#include "policies/error_throttle.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;
using namespace std::chrono_literals;

namespace {
const TimePoint t0{};
}

TEST_CASE("error throttle: the first failure is logged, repeats only after the interval with their count") {
    ErrorThrottle throttle(60s);
    CHECK(throttle.failed("ENOSPC", t0).log);
    for (int second = 1; second < 60; ++second) {
        const ThrottleVerdict verdict = throttle.failed("ENOSPC", t0 + std::chrono::seconds(second));
        CHECK_FALSE(verdict.log);
        CHECK(verdict.suppressed == static_cast<std::uint64_t>(second));
    }
    const ThrottleVerdict again = throttle.failed("ENOSPC", t0 + 60s);
    CHECK(again.log);
    CHECK(again.suppressed == 59);
    CHECK_FALSE(throttle.failed("ENOSPC", t0 + 61s).log);
}

TEST_CASE("error throttle: a different failure is logged at once") {
    ErrorThrottle throttle(60s);
    CHECK(throttle.failed("ENOSPC", t0).log);
    CHECK_FALSE(throttle.failed("ENOSPC", t0 + 1s).log);
    const ThrottleVerdict other = throttle.failed("EACCES", t0 + 2s);
    CHECK(other.log);
    CHECK(other.suppressed == 1);
    CHECK_FALSE(throttle.failed("EACCES", t0 + 3s).log);
}

TEST_CASE("error throttle: the first success after failures is logged once, then the next failure at once") {
    ErrorThrottle throttle(60s);
    CHECK_FALSE(throttle.succeeded().log);
    CHECK(throttle.failed("ENOSPC", t0).log);
    CHECK_FALSE(throttle.failed("ENOSPC", t0 + 1s).log);
    CHECK(throttle.failing());
    const ThrottleVerdict recovered = throttle.succeeded();
    CHECK(recovered.log);
    CHECK(recovered.suppressed == 1);
    CHECK_FALSE(throttle.failing());
    CHECK_FALSE(throttle.succeeded().log);
    CHECK(throttle.failed("ENOSPC", t0 + 2s).log);
}
