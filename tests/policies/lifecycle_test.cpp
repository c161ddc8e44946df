#include "policies/lifecycle.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace corral::policies;
using std::chrono::milliseconds;

namespace {

TimePoint at(long ms) { return TimePoint(milliseconds(ms)); }

const ExitStatus kCrash{1, 0, false};
const ExitStatus kClean{0, 0, false};

// Drives one instance through events with a fake clock, keeping the decisions.
struct Driver {
    LifecyclePolicy policy;
    InstanceState state;
    long now_ms = 0;

    Decision send(EventKind kind, ExitStatus exit = {}) {
        Decision d = decide(state, {kind, exit}, policy, at(now_ms));
        state = d.next;
        return d;
    }
    // start -> exec_ok, then a crash after `uptime_ms`; returns the decision for the crash.
    Decision run_and_crash(long uptime_ms, ExitStatus exit = kCrash) {
        if (state.state == State::backoff) {
            CHECK(send(EventKind::backoff_elapsed).action == Action::spawn);
        } else {
            CHECK(send(EventKind::start).action == Action::spawn);
        }
        send(EventKind::exec_ok);
        now_ms += uptime_ms;
        return send(EventKind::gone, exit);
    }
};

}  // namespace

TEST_CASE("lifecycle table: every state and event") {
    struct Cell {
        State from;
        EventKind event;
        State to;
        Action action;
    };
    using E = EventKind;
    using S = State;
    using A = Action;
    const std::vector<Cell> cells = {
        {S::starting, E::start, S::starting, A::none},
        {S::starting, E::exec_ok, S::running, A::none},
        {S::starting, E::gone, S::backoff, A::arm_backoff},
        {S::starting, E::backoff_elapsed, S::starting, A::none},
        {S::starting, E::stop, S::stopping, A::send_stop_signal},
        {S::starting, E::restart, S::stopping, A::send_stop_signal},
        {S::starting, E::stop_timeout, S::starting, A::none},
        {S::running, E::start, S::running, A::none},
        {S::running, E::exec_ok, S::running, A::none},
        {S::running, E::gone, S::backoff, A::arm_backoff},
        {S::running, E::backoff_elapsed, S::running, A::none},
        {S::running, E::stop, S::stopping, A::send_stop_signal},
        {S::running, E::restart, S::stopping, A::send_stop_signal},
        {S::running, E::stop_timeout, S::running, A::none},
        {S::backoff, E::start, S::starting, A::spawn},
        {S::backoff, E::exec_ok, S::backoff, A::none},
        {S::backoff, E::gone, S::backoff, A::none},
        {S::backoff, E::backoff_elapsed, S::starting, A::spawn},
        {S::backoff, E::stop, S::stopped, A::cancel_timer},
        {S::backoff, E::restart, S::starting, A::spawn},
        {S::backoff, E::stop_timeout, S::backoff, A::none},
        {S::stopping, E::start, S::stopping, A::none},
        {S::stopping, E::exec_ok, S::stopping, A::none},
        {S::stopping, E::gone, S::stopped, A::cancel_timer},
        {S::stopping, E::backoff_elapsed, S::stopping, A::none},
        {S::stopping, E::stop, S::stopping, A::none},
        {S::stopping, E::restart, S::stopping, A::none},
        {S::stopping, E::stop_timeout, S::stopping, A::kill},
        {S::starting, E::ready, S::running, A::cancel_timer},
        {S::starting, E::ready_timeout, S::starting, A::kill},
        {S::running, E::ready, S::running, A::none},
        {S::running, E::ready_timeout, S::running, A::none},
        {S::backoff, E::ready, S::backoff, A::none},
        {S::backoff, E::ready_timeout, S::backoff, A::none},
        {S::stopping, E::ready, S::stopping, A::none},
        {S::stopping, E::ready_timeout, S::stopping, A::none},
    };
    for (const auto down : {S::stopped, S::failed, S::exited}) {
        for (const auto event : {E::start, E::restart}) {
            CAPTURE(to_string(down));
            CAPTURE(to_string(event));
            InstanceState state;
            state.state = down;
            const Decision d = decide(state, {event}, {}, at(0));
            CHECK(d.next.state == S::starting);
            CHECK(d.action == A::spawn);
        }
        for (const auto event : {E::exec_ok, E::gone, E::backoff_elapsed, E::stop, E::stop_timeout, E::ready,
                                 E::ready_timeout}) {
            CAPTURE(to_string(down));
            CAPTURE(to_string(event));
            InstanceState state;
            state.state = down;
            const Decision d = decide(state, {event}, {}, at(0));
            CHECK(d.next.state == down);
            CHECK(d.action == A::none);
            CHECK(d.reason.empty());
        }
    }
    for (const auto& cell : cells) {
        CAPTURE(to_string(cell.from));
        CAPTURE(to_string(cell.event));
        InstanceState state;
        state.state = cell.from;
        const Decision d = decide(state, {cell.event, kCrash}, {}, at(0));
        CHECK(d.next.state == cell.to);
        CHECK(d.action == cell.action);
        // An event that changes nothing says nothing; one that does something says why.
        CHECK(d.reason.empty() == (cell.to == cell.from && cell.action == A::none &&
                                   !(cell.from == S::stopping && (cell.event == E::start || cell.event == E::restart ||
                                                                  cell.event == E::stop))));
    }
}

TEST_CASE("lifecycle: crashes back off exponentially and the reason says how and when") {
    Driver driver;
    const long expected[] = {100, 150, 225, 338};
    for (const long delay : expected) {
        const Decision d = driver.run_and_crash(2000);
        CHECK(d.next.state == State::backoff);
        CHECK(d.action == Action::arm_backoff);
        CHECK(d.delay.count() == delay);
        driver.now_ms += delay;
    }
    CHECK(driver.state.restarts == 3);
    Driver fresh;
    CHECK(fresh.run_and_crash(3200).reason == "exited with code 1 after 3.2s; restarting in 100ms");
}

TEST_CASE("lifecycle: a run longer than reset_after starts the backoff over") {
    Driver driver;
    driver.policy.start_limit.interval = milliseconds(0);
    for (int i = 0; i < 4; ++i) driver.now_ms += driver.run_and_crash(10).delay.count();
    CHECK(driver.run_and_crash(10).delay.count() == 506);
    driver.now_ms += 506;
    CHECK(driver.run_and_crash(30'000).delay.count() == 100);
    driver.now_ms += 100;
    CHECK(driver.run_and_crash(10).delay.count() == 150);
}

TEST_CASE("lifecycle: the crash past the start limit fails the instance - a manual start forgives it") {
    Driver driver;
    driver.policy.start_limit = {3, milliseconds(10'000)};
    driver.policy.backoff.initial = milliseconds(0);
    for (int i = 0; i < 3; ++i) CHECK(driver.run_and_crash(500).next.state == State::backoff);
    const Decision failed = driver.run_and_crash(500);
    CHECK(failed.next.state == State::failed);
    CHECK(failed.action == Action::none);
    CHECK(failed.reason ==
          "exited with code 1 after 500ms; 3 restarts within 10.0s already (start_limit): giving up until started again");
    // A user start works at once and the history is forgiven: three more restarts are allowed.
    for (int i = 0; i < 3; ++i) CHECK(driver.run_and_crash(500).next.state == State::backoff);
    CHECK(driver.run_and_crash(500).next.state == State::failed);
}

TEST_CASE("lifecycle: crashes spread wider than the interval never fail the instance") {
    Driver driver;
    driver.policy.start_limit = {2, milliseconds(1000)};
    driver.policy.backoff = {milliseconds(0), 1.0, milliseconds(0), milliseconds(60'000)};
    for (int i = 0; i < 20; ++i) CHECK(driver.run_and_crash(600).next.state == State::backoff);
}

TEST_CASE("lifecycle: restart policies on clean and failed exits") {
    Driver on_failure;
    on_failure.policy.restart = RestartMode::on_failure;
    const Decision clean = on_failure.run_and_crash(100, kClean);
    CHECK(clean.next.state == State::exited);
    CHECK(clean.reason == "exited with code 0 after 100ms; restart = \"on-failure\": not restarting");
    CHECK(on_failure.run_and_crash(100, kCrash).next.state == State::backoff);

    Driver never;
    never.policy.restart = RestartMode::never;
    CHECK(never.run_and_crash(100, kCrash).next.state == State::exited);

    Driver always;
    CHECK(always.run_and_crash(100, kClean).next.state == State::backoff);
}

TEST_CASE("lifecycle: stop - stop timeout - then gone") {
    Driver driver;
    driver.send(EventKind::start);
    driver.send(EventKind::exec_ok);
    CHECK(driver.send(EventKind::stop).action == Action::send_stop_signal);
    CHECK(driver.send(EventKind::stop_timeout).action == Action::kill);
    const Decision gone = driver.send(EventKind::gone, {0, 9, false});
    CHECK(gone.next.state == State::stopped);
    CHECK(gone.reason == "stopped (killed by SIGKILL)");
}

TEST_CASE("lifecycle: restart while running stops - then starts once gone - without counting a crash") {
    Driver driver;
    driver.send(EventKind::start);
    driver.send(EventKind::exec_ok);
    CHECK(driver.send(EventKind::restart).next.state == State::stopping);
    const Decision gone = driver.send(EventKind::gone, {0, 15, false});
    CHECK(gone.next.state == State::starting);
    CHECK(gone.action == Action::spawn);
    CHECK(driver.state.restarts == 1);
    CHECK(driver.state.window.count() == 0);
}

TEST_CASE("lifecycle: a stop after a restart request wins") {
    Driver driver;
    driver.send(EventKind::start);
    driver.send(EventKind::restart);
    driver.send(EventKind::stop);
    CHECK(driver.send(EventKind::gone, {0, 15, false}).next.state == State::stopped);
}

TEST_CASE("lifecycle: a process that dies before exec (spawn failure) is restarted like a crash") {
    Driver driver;
    driver.send(EventKind::start);
    const Decision d = driver.send(EventKind::gone, {0, 0, true});
    CHECK(d.next.state == State::backoff);
    CHECK(d.reason == "could not be started after 0ms; restarting in 100ms");
}

TEST_CASE("lifecycle: with readiness an exec'd instance stays starting until ready, or is killed at the ready timeout") {
    Driver driver;
    driver.policy.wait_ready = true;
    driver.policy.ready_timeout = milliseconds(2'000);
    CHECK(driver.send(EventKind::start).action == Action::spawn);
    const Decision exec = driver.send(EventKind::exec_ok);
    CHECK(exec.next.state == State::starting);
    CHECK(exec.action == Action::await_ready);
    CHECK(exec.delay == milliseconds(2'000));
    CHECK(exec.reason == "program started, waiting until it is ready");
    const Decision ready = decide(driver.state, {EventKind::ready, {}, "accepting on 0.0.0.0:3000"}, driver.policy, at(5));
    CHECK(ready.next.state == State::running);
    CHECK(ready.action == Action::cancel_timer);
    CHECK(ready.reason == "ready: accepting on 0.0.0.0:3000");

    // Not ready in time: killed, and its death is a failed start that backs off and says why.
    const Decision late = decide(driver.state, {EventKind::ready_timeout, {}, "last probe: connection refused"},
                                 driver.policy, at(2'000));
    CHECK(late.action == Action::kill);
    CHECK(late.next.state == State::starting);
    CHECK(late.reason == "not ready within 2.0s (last probe: connection refused): killing it");
    driver.state = late.next;
    driver.now_ms = 2'010;
    const Decision gone = driver.send(EventKind::gone, ExitStatus{0, 9, false});
    CHECK(gone.next.state == State::backoff);
    CAPTURE(gone.reason);
    CHECK(gone.reason.starts_with("not ready within 2.0s (killed by SIGKILL after 2.0"));
    // The next start forgets it.
    driver.now_ms += 1'000;
    CHECK(driver.send(EventKind::backoff_elapsed).next.not_ready == false);
}

TEST_CASE("lifecycle: without readiness exec is running at once") {
    Driver driver;
    driver.send(EventKind::start);
    const Decision exec = driver.send(EventKind::exec_ok);
    CHECK(exec.next.state == State::running);
    CHECK(exec.action == Action::none);
}
