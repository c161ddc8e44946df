#include "policies/daemon_phase.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace corral::policies;

TEST_CASE("daemon phase table: every phase and event") {
    struct Cell {
        DaemonPhase from;
        PhaseEvent event;
        DaemonPhase to;
        PhaseAction action;
    };
    using P = DaemonPhase;
    using E = PhaseEvent;
    using A = PhaseAction;
    const std::vector<Cell> cells = {
        {P::starting, E::started, P::running, A::none},
        {P::starting, E::stop_signal, P::draining, A::drain},
        {P::starting, E::stop_command, P::draining, A::drain},
        {P::starting, E::drained, P::starting, A::none},
        {P::starting, E::drain_deadline, P::starting, A::none},
        {P::starting, E::all_down, P::starting, A::none},
        {P::starting, E::quiet, P::starting, A::none},
        {P::starting, E::pipes_deadline, P::starting, A::none},
        {P::running, E::started, P::running, A::none},
        {P::running, E::stop_signal, P::draining, A::drain},
        {P::running, E::stop_command, P::draining, A::drain},
        {P::running, E::drained, P::running, A::none},
        {P::running, E::drain_deadline, P::running, A::none},
        {P::running, E::all_down, P::running, A::none},
        {P::running, E::quiet, P::running, A::none},
        {P::running, E::pipes_deadline, P::running, A::none},
        {P::draining, E::started, P::draining, A::none},
        {P::draining, E::stop_signal, P::stopping, A::persist_kill},
        {P::draining, E::stop_command, P::draining, A::none},
        {P::draining, E::drained, P::stopping, A::persist_stop},
        {P::draining, E::drain_deadline, P::stopping, A::persist_stop},
        {P::draining, E::all_down, P::draining, A::none},
        {P::draining, E::quiet, P::draining, A::none},
        {P::draining, E::pipes_deadline, P::draining, A::none},
        {P::stopping, E::started, P::stopping, A::none},
        {P::stopping, E::stop_signal, P::stopping, A::kill_all},
        {P::stopping, E::stop_command, P::stopping, A::none},
        {P::stopping, E::drained, P::stopping, A::none},
        {P::stopping, E::drain_deadline, P::stopping, A::none},
        {P::stopping, E::all_down, P::sweeping, A::sweep},
        {P::stopping, E::quiet, P::stopping, A::none},
        {P::stopping, E::pipes_deadline, P::stopping, A::none},
        {P::sweeping, E::started, P::sweeping, A::none},
        {P::sweeping, E::stop_signal, P::sweeping, A::kill_all},
        {P::sweeping, E::stop_command, P::sweeping, A::none},
        {P::sweeping, E::drained, P::sweeping, A::none},
        {P::sweeping, E::drain_deadline, P::sweeping, A::none},
        {P::sweeping, E::all_down, P::sweeping, A::none},
        {P::sweeping, E::quiet, P::closed, A::close},
        {P::sweeping, E::pipes_deadline, P::closed, A::close},
    };
    for (const auto& cell : cells) {
        CAPTURE(to_string(cell.from));
        CAPTURE(to_string(cell.event));
        const PhaseDecision d = decide(cell.from, cell.event, "SIGTERM");
        CHECK(d.next == cell.to);
        CHECK(d.action == cell.action);
        // An event that changes nothing says nothing; one that does something says why.
        CHECK(d.reason.empty() == (cell.to == cell.from && cell.action == A::none));
    }
    for (int event = 0; event < kPhaseEventCount; ++event) {
        const PhaseDecision d = decide(P::closed, static_cast<E>(event), "SIGTERM");
        CAPTURE(to_string(static_cast<E>(event)));
        CHECK(d.next == P::closed);
        CHECK(d.action == A::none);
        CHECK(d.reason.empty());
    }
}

TEST_CASE("daemon phase: a stop says what asked for it, and a second stop signal kills") {
    const PhaseDecision stop = decide(DaemonPhase::running, PhaseEvent::stop_signal, "SIGINT");
    CHECK(stop.reason == "SIGINT: delivering the IPC backlog, then stopping every service (send it again to kill them at once)");
    CHECK(stop.notice == Notice::info);
    // While draining: what is left of the backlog is kept, and everything is killed.
    const PhaseDecision cut = decide(stop.next, PhaseEvent::stop_signal, "SIGINT");
    CHECK(cut.reason == "SIGINT again: keeping the rest of the IPC backlog for the next start and killing every process now");
    CHECK(cut.notice == Notice::warning);
    CHECK(cut.action == PhaseAction::persist_kill);
    // Once stopping: a signal kills what is still running.
    const PhaseDecision kill = decide(cut.next, PhaseEvent::stop_signal, "SIGINT");
    CHECK(kill.reason == "SIGINT again: killing every remaining process now");
    CHECK(kill.notice == Notice::warning);
    // The shutdown command while stopping changes nothing: only a signal escalates.
    CHECK(decide(cut.next, PhaseEvent::stop_command, "SIGTERM").reason.empty());
}

TEST_CASE("daemon phase: a shutdown walks every phase once") {
    DaemonPhase phase = DaemonPhase::starting;
    std::vector<PhaseAction> actions;
    for (const auto event : {PhaseEvent::started, PhaseEvent::stop_command, PhaseEvent::all_down, PhaseEvent::drained,
                             PhaseEvent::drain_deadline, PhaseEvent::all_down, PhaseEvent::quiet,
                             PhaseEvent::pipes_deadline}) {
        const PhaseDecision d = decide(phase, event, "SIGTERM");
        phase = d.next;
        if (d.action != PhaseAction::none) actions.push_back(d.action);
    }
    CHECK(phase == DaemonPhase::closed);
    CHECK(actions == std::vector<PhaseAction>{PhaseAction::drain, PhaseAction::persist_stop, PhaseAction::sweep,
                                              PhaseAction::close});
}

TEST_CASE("daemon phase: output pipes that outlive the grace close the daemon with a warning") {
    const PhaseDecision late = decide(DaemonPhase::sweeping, PhaseEvent::pipes_deadline);
    CHECK(late.action == PhaseAction::close);
    CHECK(late.notice == Notice::warning);
    CHECK(late.reason == "some processes or output pipes did not go away; exiting without them");
    CHECK(decide(DaemonPhase::sweeping, PhaseEvent::quiet).notice != Notice::warning);
}

TEST_CASE("daemon phase: which phases refuse commands that start things") {
    CHECK_FALSE(is_stopping(DaemonPhase::starting));
    CHECK_FALSE(is_stopping(DaemonPhase::running));
    CHECK(is_stopping(DaemonPhase::draining));
    CHECK(is_stopping(DaemonPhase::stopping));
    CHECK(is_stopping(DaemonPhase::sweeping));
    CHECK(is_stopping(DaemonPhase::closed));
}

TEST_CASE("daemon phase: the IPC backlog is drained before any service stops, and persisted on every way out") {
    const PhaseDecision stop = decide(DaemonPhase::running, PhaseEvent::stop_signal, "SIGTERM");
    CHECK(stop.next == DaemonPhase::draining);
    CHECK(stop.action == PhaseAction::drain);
    CHECK(stop.reason == "SIGTERM: delivering the IPC backlog, then stopping every service (send it again to kill them at once)");
    // Every way out of draining persists before it stops: delivered, timed out, or cut short by a signal.
    for (const auto event : {PhaseEvent::drained, PhaseEvent::drain_deadline, PhaseEvent::stop_signal}) {
        CAPTURE(to_string(event));
        const PhaseDecision d = decide(DaemonPhase::draining, event, "SIGTERM");
        CHECK(d.next == DaemonPhase::stopping);
        CHECK((d.action == PhaseAction::persist_stop || d.action == PhaseAction::persist_kill));
    }
    CHECK(decide(DaemonPhase::draining, PhaseEvent::drain_deadline).notice == Notice::warning);
    CHECK(decide(DaemonPhase::draining, PhaseEvent::drained).notice == Notice::debug);
    // The shutdown command while draining changes nothing; only a signal cuts the drain short.
    CHECK(decide(DaemonPhase::draining, PhaseEvent::stop_command, "SIGTERM").reason.empty());
    // A drain that ends after the stop began (a late timer) changes nothing.
    CHECK(decide(DaemonPhase::stopping, PhaseEvent::drain_deadline).reason.empty());
}
