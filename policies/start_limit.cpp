#include "policies/start_limit.hpp"

namespace corral::policies {

bool StartLimitWindow::admit(const StartLimitParams& params, TimePoint now) {
    if (params.interval == Duration::zero()) return true;
    while (!restarts_.empty() && now - restarts_.front() >= params.interval) restarts_.pop_front();
    if (restarts_.size() >= params.burst) return false;
    restarts_.push_back(now);
    return true;
}

}  // namespace corral::policies
