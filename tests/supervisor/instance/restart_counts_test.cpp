// An instance's restarts by reason: a death's classification, "manual" for a stop asked for, "reload" for
// a rolling restart; a provisional verdict counted only once it is final, so that counters only go up.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "supervisor/instance/restart_counts.hpp"

using corral::supervisor::RestartCounts;
using Counts = std::map<std::string, std::uint64_t>;

TEST_CASE("restart counts: each restart under the reason of the death before it") {
    RestartCounts counts;
    counts.died("exit_code", false);
    counts.restarted();
    counts.died("exit_code", false);
    counts.restarted();
    counts.died("oom_kill", false);
    counts.restarted();
    CHECK(counts.by_reason() == Counts{{"exit_code", 2}, {"oom_kill", 1}});
}

TEST_CASE("restart counts: a stop or restart asked for is manual, and so is a start without a death") {
    RestartCounts counts;
    counts.requested();
    counts.restarted();
    counts.restarted();  // started again after `failed`: nothing died since
    CHECK(counts.by_reason() == Counts{{"manual", 2}});
}

TEST_CASE("restart counts: a provisional verdict waits for the final one, whichever comes first") {
    RestartCounts counts;
    counts.died("signal", true);
    counts.restarted();  // the restart went ahead of the evidence
    CHECK(counts.by_reason().empty());
    counts.settled("oom_kill");
    CHECK(counts.by_reason() == Counts{{"oom_kill", 1}});
    counts.settled("signal");  // nothing awaited: no change
    counts.died("signal", true);
    counts.settled("signal");  // settled before the restart
    counts.restarted();
    CHECK(counts.by_reason() == Counts{{"oom_kill", 1}, {"signal", 1}});
    counts.died("signal", true);
    counts.restarted();
    counts.settled("thrashing");
    counts.restarted();  // a start after it with no death in between
    CHECK(counts.by_reason() == Counts{{"oom_kill", 1}, {"signal", 1}, {"thrashing", 1}, {"manual", 1}});
}

TEST_CASE("restart counts: a rollout's replacement carries the counts on, plus one reload") {
    RestartCounts old;
    old.died("exit_code", false);
    old.restarted();
    RestartCounts fresh;
    fresh.carry_on(old);
    CHECK(fresh.by_reason() == Counts{{"exit_code", 1}, {"reload", 1}});
    RestartCounts third;
    third.carry_on(fresh);
    CHECK(third.by_reason() == Counts{{"exit_code", 1}, {"reload", 2}});
}
