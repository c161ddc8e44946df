#pragma once
// Exponential restart delay: initial, initial*factor, initial*factor^2, ... capped at max. The attempt
// counter restarts from 1 once an incarnation has stayed up for reset_after (see lifecycle.cpp).
#include "policies/clock.hpp"

namespace corral::policies {

struct BackoffParams {
    Duration initial{100};
    double factor = 1.5;
    Duration max{15'000};
    Duration reset_after{30'000};

    bool operator==(const BackoffParams&) const = default;
};

// attempt >= 1 is the number of consecutive restarts including this one.
Duration backoff_delay(const BackoffParams& params, unsigned attempt);

}  // namespace corral::policies
