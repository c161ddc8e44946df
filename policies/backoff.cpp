#include "policies/backoff.hpp"

#include <cmath>

namespace corral::policies {

Duration backoff_delay(const BackoffParams& params, unsigned attempt) {
    if (attempt <= 1) return std::min(params.initial, params.max);
    // Computed in floating point and capped before converting back, so large attempts cannot overflow.
    const double scaled = static_cast<double>(params.initial.count()) * std::pow(params.factor, attempt - 1);
    const double capped = std::min(scaled, static_cast<double>(params.max.count()));
    return Duration(static_cast<Duration::rep>(std::llround(capped)));
}

}  // namespace corral::policies
