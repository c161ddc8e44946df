#include "policies/daemon_phase.hpp"

#include <array>

namespace corral::policies {
namespace {

enum class Step { ignore, run, drain, cut_drain, drained, drain_late, kill, sweep, close, close_late };

using S = Step;
constexpr Step I = S::ignore;
// Rows: starting, running, draining, stopping, sweeping, closed.
// Columns: started, stop_signal, stop_command, drained, drain_deadline, all_down, quiet, pipes_deadline.
constexpr std::array<std::array<Step, kPhaseEventCount>, kDaemonPhaseCount> kTable = {{
    {S::run, S::drain, S::drain, I, I, I, I, I},
    {I, S::drain, S::drain, I, I, I, I, I},
    {I, S::cut_drain, I, S::drained, S::drain_late, I, I, I},
    {I, S::kill, I, I, I, S::sweep, I, I},
    {I, S::kill, I, I, I, I, S::close, S::close_late},
    {I, I, I, I, I, I, I, I},
}};

}  // namespace

std::string_view to_string(DaemonPhase phase) {
    switch (phase) {
        case DaemonPhase::starting: return "starting";
        case DaemonPhase::running: return "running";
        case DaemonPhase::draining: return "draining";
        case DaemonPhase::stopping: return "stopping";
        case DaemonPhase::sweeping: return "sweeping";
        case DaemonPhase::closed: return "closed";
    }
    return "?";
}

bool is_stopping(DaemonPhase phase) {
    return phase == DaemonPhase::draining || phase == DaemonPhase::stopping || phase == DaemonPhase::sweeping || phase == DaemonPhase::closed;
}

std::string_view to_string(PhaseEvent event) {
    switch (event) {
        case PhaseEvent::started: return "started";
        case PhaseEvent::stop_signal: return "stop_signal";
        case PhaseEvent::stop_command: return "stop_command";
        case PhaseEvent::drained: return "drained";
        case PhaseEvent::drain_deadline: return "drain_deadline";
        case PhaseEvent::all_down: return "all_down";
        case PhaseEvent::quiet: return "quiet";
        case PhaseEvent::pipes_deadline: return "pipes_deadline";
    }
    return "?";
}

PhaseDecision decide(DaemonPhase phase, PhaseEvent event, std::string_view cause) {
    const std::string who(cause);
    switch (kTable[static_cast<int>(phase)][static_cast<int>(event)]) {
        case Step::ignore: break;
        case Step::run: return {DaemonPhase::running, PhaseAction::none, Notice::debug, "every service is starting"};
        case Step::drain:
            return {DaemonPhase::draining, PhaseAction::drain, Notice::info,
                    who + ": delivering the IPC backlog, then stopping every service (send it again to kill them at once)"};
        case Step::cut_drain:
            return {DaemonPhase::stopping, PhaseAction::persist_kill, Notice::warning,
                    who + " again: keeping the rest of the IPC backlog for the next start and killing every process now"};
        case Step::drained:
            return {DaemonPhase::stopping, PhaseAction::persist_stop, Notice::debug,
                    "the IPC backlog is delivered or waits for receivers that do not run: stopping every service"};
        case Step::drain_late:
            return {DaemonPhase::stopping, PhaseAction::persist_stop, Notice::warning,
                    "the drain timeout is over: keeping the rest of the IPC backlog for the next start and stopping "
                    "every service"};
        case Step::kill:
            return {phase, PhaseAction::kill_all, Notice::warning, who + " again: killing every remaining process now"};
        case Step::sweep:
            return {DaemonPhase::sweeping, PhaseAction::sweep, Notice::debug,
                    "every service is down: killing what escaped, waiting for the output pipes"};
        case Step::close:
            return {DaemonPhase::closed, PhaseAction::close, Notice::debug, "every process and output pipe is gone"};
        case Step::close_late:
            return {DaemonPhase::closed, PhaseAction::close, Notice::warning,
                    "some processes or output pipes did not go away; exiting without them"};
    }
    return {phase, PhaseAction::none, Notice::debug, {}};
}

}  // namespace corral::policies
