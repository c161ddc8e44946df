#include "policies/backoff.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace corral::policies;
using std::chrono::milliseconds;

TEST_CASE("backoff: the default sequence is pm2's x1.5 from 100ms - capped at 15s") {
    const BackoffParams params;
    const std::vector<long> expected = {100, 150, 225, 338, 506, 759, 1139, 1709, 2563, 3844, 5767, 8650, 12975,
                                        15000, 15000};
    for (unsigned attempt = 1; attempt <= expected.size(); ++attempt) {
        CAPTURE(attempt);
        CHECK(backoff_delay(params, attempt).count() == expected[attempt - 1]);
    }
}

TEST_CASE("backoff: factor 1 is a constant delay - initial 0 restarts at once") {
    CHECK(backoff_delay({milliseconds(250), 1.0, milliseconds(1000), milliseconds(1000)}, 7).count() == 250);
    CHECK(backoff_delay({milliseconds(0), 2.0, milliseconds(1000), milliseconds(1000)}, 1).count() == 0);
    CHECK(backoff_delay({milliseconds(0), 2.0, milliseconds(1000), milliseconds(1000)}, 30).count() == 0);
}

TEST_CASE("backoff: huge attempt counts stay at the cap without overflowing") {
    const BackoffParams params{milliseconds(100), 10.0, milliseconds(60'000), milliseconds(1000)};
    CHECK(backoff_delay(params, 400).count() == 60'000);
    CHECK(backoff_delay(params, 4'000'000'000u).count() == 60'000);
}

TEST_CASE("backoff: an initial delay above the cap is capped") {
    CHECK(backoff_delay({milliseconds(5000), 2.0, milliseconds(1000), milliseconds(1000)}, 1).count() == 1000);
}
