#include "policies/start_limit.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {
TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }
}  // namespace

TEST_CASE("start limit: burst restarts within the interval are admitted - the next is refused") {
    StartLimitWindow window;
    const StartLimitParams params{5, milliseconds(10'000)};
    for (int i = 0; i < 5; ++i) CHECK(window.admit(params, at(i * 1000)));
    CHECK_FALSE(window.admit(params, at(5000)));
    CHECK(window.count() == 5);
}

TEST_CASE("start limit: every crash counts - slow ones too - but only inside the sliding window") {
    StartLimitWindow window;
    const StartLimitParams params{3, milliseconds(10'000)};
    CHECK(window.admit(params, at(0)));
    CHECK(window.admit(params, at(4000)));
    CHECK(window.admit(params, at(8000)));
    CHECK_FALSE(window.admit(params, at(9999)));  // 3 restarts in the last 10 s
    CHECK(window.admit(params, at(10'000)));      // the one at 0 has left the window
    CHECK_FALSE(window.admit(params, at(13'999)));
    CHECK(window.admit(params, at(14'000)));
}

TEST_CASE("start limit: a refused restart is not recorded") {
    StartLimitWindow window;
    const StartLimitParams params{1, milliseconds(1000)};
    CHECK(window.admit(params, at(0)));
    CHECK_FALSE(window.admit(params, at(500)));
    CHECK_FALSE(window.admit(params, at(900)));
    CHECK(window.admit(params, at(1000)));
}

TEST_CASE("start limit: interval 0 disables it - reset forgets everything") {
    StartLimitWindow window;
    for (int i = 0; i < 1000; ++i) CHECK(window.admit({1, milliseconds(0)}, at(i)));
    CHECK(window.count() == 0);
    const StartLimitParams params{2, milliseconds(10'000)};
    CHECK(window.admit(params, at(0)));
    CHECK(window.admit(params, at(1)));
    CHECK_FALSE(window.admit(params, at(2)));
    window.reset();
    CHECK(window.admit(params, at(3)));
}
