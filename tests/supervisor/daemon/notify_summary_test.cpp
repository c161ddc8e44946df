// The STATUS= line the daemon sends to systemd.
#include <doctest/doctest.h>

#include <vector>

#include "supervisor/daemon/systemd_notifier.hpp"

using corral::policies::State;
using corral::supervisor::notify_summary;

TEST_CASE("the STATUS= summary counts the instances by state, in lifecycle order, and only the states there are") {
    const std::vector<State> states = {State::failed, State::running, State::running, State::backoff, State::running};
    CHECK(notify_summary(3, states) == "3 services: 3 running, 1 in backoff, 1 failed");
    CHECK(notify_summary(1, std::vector<State>{State::starting}) == "1 service: 1 starting");
    CHECK(notify_summary(0, {}) == "0 services: no instances");
    CHECK(notify_summary(2, std::vector<State>{State::exited, State::stopped, State::stopping}) ==
          "2 services: 1 stopping, 1 stopped, 1 exited");
}
