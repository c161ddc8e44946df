#include "policies/command_wait.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace corral::policies;
using namespace std::chrono_literals;

namespace {

struct Step {
    State from;
    State to;
    bool has_process;
};

// The item after `steps`, for an instance in `before` (with `had_process`) when the command came.
WaitItem run(WaitGoal goal, State before, bool had_process, const std::vector<Step>& steps) {
    WaitItem item = begin_wait(goal, before, had_process);
    for (const Step& step : steps) {
        on_transition(item, step.from, step.to, std::string(to_string(step.from)) + ">" + std::string(to_string(step.to)),
                      step.has_process);
    }
    return item;
}

}  // namespace

TEST_CASE("wait: an instance already where the command sends it is done at once") {
    CHECK(begin_wait(WaitGoal::running, State::running, true).progress == WaitProgress::done);
    CHECK(begin_wait(WaitGoal::running, State::running, true).already);
    CHECK(begin_wait(WaitGoal::down, State::stopped, false).already);
    CHECK(begin_wait(WaitGoal::down, State::exited, false).already);
    CHECK(begin_wait(WaitGoal::down, State::failed, false).already);
    // A restart always waits for a new start.
    CHECK(begin_wait(WaitGoal::new_start, State::running, true).progress == WaitProgress::pending);
    for (const State state : {State::starting, State::backoff, State::stopping, State::stopped}) {
        CAPTURE(to_string(state));
        CHECK(begin_wait(WaitGoal::running, state, state != State::stopped).progress == WaitProgress::pending);
    }
    // Down, with a process still there (a stop that is not complete), is not there yet.
    CHECK(begin_wait(WaitGoal::down, State::stopped, true).progress == WaitProgress::pending);
    CHECK(begin_wait(WaitGoal::down, State::stopping, true).progress == WaitProgress::pending);
}

TEST_CASE("wait: transitions, goal by goal") {
    struct Row {
        const char* what;
        WaitGoal goal;
        State before;
        std::vector<Step> steps;
        WaitProgress progress;
        std::string reason;
    };
    const std::vector<Row> rows = {
        {"start reaches running", WaitGoal::running, State::stopped,
         {{State::stopped, State::starting, true}, {State::starting, State::running, true}}, WaitProgress::done,
         "starting>running"},
        {"start that cannot exec", WaitGoal::running, State::stopped,
         {{State::stopped, State::starting, true}, {State::starting, State::backoff, false}}, WaitProgress::failed,
         "starting>backoff"},
        {"start that gives up", WaitGoal::running, State::backoff,
         {{State::backoff, State::starting, true}, {State::starting, State::failed, false}}, WaitProgress::failed,
         "starting>failed"},
        {"start of a stopping instance waits through the stop", WaitGoal::running, State::stopping,
         {{State::stopping, State::starting, true}, {State::starting, State::running, true}}, WaitProgress::done,
         "starting>running"},
        {"start stopped by someone else", WaitGoal::running, State::starting,
         {{State::starting, State::stopping, true}, {State::stopping, State::stopped, false}}, WaitProgress::failed,
         "stopping>stopped"},
        {"start: still starting", WaitGoal::running, State::stopped, {{State::stopped, State::starting, true}},
         WaitProgress::pending, "stopped>starting"},
        {"restart of a running instance", WaitGoal::new_start, State::running,
         {{State::running, State::stopping, true}, {State::stopping, State::starting, true},
          {State::starting, State::running, true}},
         WaitProgress::done, "starting>running"},
        {"restart whose new start crashes before running", WaitGoal::new_start, State::running,
         {{State::running, State::stopping, true}, {State::stopping, State::starting, true},
          {State::starting, State::backoff, false}},
         WaitProgress::failed, "starting>backoff"},
        {"stop", WaitGoal::down, State::running,
         {{State::running, State::stopping, true}, {State::stopping, State::stopped, false}}, WaitProgress::done,
         "stopping>stopped"},
        {"stop during a restart delay", WaitGoal::down, State::backoff, {{State::backoff, State::stopped, false}},
         WaitProgress::done, "backoff>stopped"},
        {"stop: down but a process is left", WaitGoal::down, State::running,
         {{State::running, State::stopping, true}, {State::stopping, State::stopped, true}}, WaitProgress::pending,
         "stopping>stopped"},
        {"stop overtaken by a start", WaitGoal::down, State::running,
         {{State::running, State::stopping, true}, {State::stopping, State::starting, true}}, WaitProgress::failed,
         "started again before it was down (stopping>starting)"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.what);
        const WaitItem item = run(row.goal, row.before, !is_down(row.before), row.steps);
        CHECK(item.progress == row.progress);
        CHECK(item.reason == row.reason);
        CHECK_FALSE(item.already);
        CHECK(item.state == row.steps.back().to);
    }
}

TEST_CASE("wait: a settled item ignores what comes after") {
    WaitItem item = run(WaitGoal::running, State::stopped, false,
                        {{State::stopped, State::starting, true}, {State::starting, State::running, true},
                         {State::running, State::backoff, false}});
    CHECK(item.progress == WaitProgress::done);
    CHECK(item.reason == "starting>running");
    CHECK(item.state == State::running);
}

TEST_CASE("wait: a down goal met once the last process is gone, and instances that are removed") {
    WaitItem item = run(WaitGoal::down, State::running, true,
                        {{State::running, State::stopping, true}, {State::stopping, State::stopped, true}});
    on_recheck(item, State::stopped, true);
    CHECK(item.progress == WaitProgress::pending);
    on_recheck(item, State::stopped, false);
    CHECK(item.progress == WaitProgress::done);

    WaitItem running = begin_wait(WaitGoal::running, State::starting, true);
    on_recheck(running, State::stopped, false);  // only transitions move a running goal
    CHECK(running.progress == WaitProgress::pending);
    on_removed(running);
    CHECK(running.progress == WaitProgress::failed);
    CHECK(running.reason == "removed before it was running");

    WaitItem down = begin_wait(WaitGoal::down, State::stopping, true);
    on_removed(down);
    CHECK(down.progress == WaitProgress::done);
}

TEST_CASE("wait: the verdict - the first failure ends it, else everything must be done") {
    const auto item = [](WaitProgress progress) {
        WaitItem i;
        i.progress = progress;
        return i;
    };
    const WaitItem done = item(WaitProgress::done);
    const WaitItem pending = item(WaitProgress::pending);
    const WaitItem failed = item(WaitProgress::failed);
    CHECK(verdict(std::vector<WaitItem>{}) == Verdict::done);
    CHECK(verdict(std::vector{done, done}) == Verdict::done);
    CHECK(verdict(std::vector{done, pending}) == Verdict::waiting);
    CHECK(verdict(std::vector{pending, failed}) == Verdict::failed);
    CHECK(verdict(std::vector{done, failed}) == Verdict::failed);
}

TEST_CASE("wait: heartbeats every period from the start, and the deadline when it comes first") {
    const TimePoint t0{std::chrono::hours(1)};
    const Duration beat = 5s;
    WaitAlarm alarm = next_alarm(t0, beat, std::nullopt, t0);
    CHECK(alarm.kind == WaitAlarm::Kind::heartbeat);
    CHECK(alarm.at == t0 + 5s);
    alarm = next_alarm(t0, beat, std::nullopt, t0 + 4999ms);
    CHECK(alarm.at == t0 + 5s);
    // At the heartbeat itself, the next one.
    alarm = next_alarm(t0, beat, std::nullopt, t0 + 5s);
    CHECK(alarm.at == t0 + 10s);
    // A clock that lags behind `started` (read before it) counts from `started`.
    CHECK(next_alarm(t0, beat, std::nullopt, t0 - 3ms).at == t0 + 5s);

    alarm = next_alarm(t0, beat, 2s, t0);
    CHECK(alarm.kind == WaitAlarm::Kind::deadline);
    CHECK(alarm.at == t0 + 2s);
    alarm = next_alarm(t0, beat, 12s, t0 + 6s);
    CHECK(alarm.kind == WaitAlarm::Kind::heartbeat);
    CHECK(alarm.at == t0 + 10s);
    alarm = next_alarm(t0, beat, 12s, t0 + 10s);
    CHECK(alarm.kind == WaitAlarm::Kind::deadline);
    CHECK(alarm.at == t0 + 12s);
    // A deadline on a heartbeat: the deadline.
    CHECK(next_alarm(t0, beat, 10s, t0 + 5s).kind == WaitAlarm::Kind::deadline);
}
