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

TEST_CASE("error throttle: the first success after a logged failure is logged once") {
    ErrorThrottle throttle(60s);
    CHECK_FALSE(throttle.succeeded().log);
    CHECK(throttle.failed("ENOSPC", t0).log);
    CHECK_FALSE(throttle.failed("ENOSPC", t0 + 1s).log);
    CHECK(throttle.failing());
    CHECK(throttle.succeeded().log);
    CHECK_FALSE(throttle.failing());
    CHECK_FALSE(throttle.succeeded().log);
    // The same failure again within the interval stays quiet, and so does the success after it.
    CHECK_FALSE(throttle.failed("ENOSPC", t0 + 2s).log);
    CHECK_FALSE(throttle.succeeded().log);
    const ThrottleVerdict later = throttle.failed("ENOSPC", t0 + 61s);
    CHECK(later.log);
    CHECK(later.suppressed == 2);
}

TEST_CASE("error throttle: an operation flapping every second logs at most twice a minute") {
    ErrorThrottle throttle(60s);
    int lines = 0;
    for (int second = 0; second < 60; ++second) {
        lines += throttle.failed("EMFILE", t0 + std::chrono::seconds(second)).log ? 1 : 0;
        lines += throttle.succeeded().log ? 1 : 0;
    }
    CHECK(lines == 2);
}
