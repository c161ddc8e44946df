#pragma once
// The daemon's own lifecycle, as a table: starting -> running -> draining -> stopping -> sweeping -> closed. For every
// (phase, event) the table names one step, and decide() turns it into the next phase, one action for the
// daemon to carry out, and the words of its log line. Pure: the Daemon (supervisor/daemon/daemon.cpp) owns
// the instances, the timers and the logging, and feeds the events in.
//
//   draining  the broker reads no sender and delivers what it holds while every instance still runs,
//             until nothing is left that a running receiver could take (or the drain timeout); then it
//             persists the rest for the next daemon and the instances are stopped. A second stop signal
//             cuts the drain short: what is left is persisted and every instance is killed at once
//   stopping  every instance was asked to stop; another stop signal kills them at once
//   sweeping  every instance is down: processes that escaped their group are killed, and the daemon waits
//             (a bounded time) for the last output pipes to close
//   closed    every handle is closed; the loop runs empty and the daemon exits
#include <string>
#include <string_view>

namespace corral::policies {

enum class DaemonPhase { starting, running, draining, stopping, sweeping, closed };
inline constexpr int kDaemonPhaseCount = 6;
std::string_view to_string(DaemonPhase phase);
// True once a stop was asked for: no more reloads, and no command that starts something.
bool is_stopping(DaemonPhase phase);

enum class PhaseEvent {
    started,         // the initial configuration is applied
    stop_signal,     // SIGTERM or SIGINT
    stop_command,    // the control protocol's `shutdown`
    drained,         // the broker holds nothing a running receiver could take, and receivers read all
    drain_deadline,  // the drain timeout is over
    all_down,        // no instance has a process any more
    quiet,           // no escaped process is left and every output pipe reached EOF
    pipes_deadline,  // the grace for output pipes is over (a process stuck in the kernel holds one)
};
inline constexpr int kPhaseEventCount = 8;
std::string_view to_string(PhaseEvent event);

enum class PhaseAction {
    none,
    drain,         // stop reading every sender, go on delivering, and start waiting for `drained`
    persist_stop,  // persist what the broker still holds for the next daemon, then stop_all
    persist_kill,  // persist it, then stop every instance and SIGKILL it at once
    stop_all,  // stop every instance with its stop signal and timeout
    kill_all,  // SIGKILL every instance now
    sweep,     // kill processes that left their group, and start the grace for output pipes
    close,     // write the last status, drop the instances and their cgroups, close every handle
};

enum class Notice { debug, info, warning };

struct PhaseDecision {
    DaemonPhase next = DaemonPhase::starting;
    PhaseAction action = PhaseAction::none;
    Notice notice = Notice::debug;
    std::string reason;  // the transition's log line; empty when the event changes nothing
};

// `cause` names what asked for a stop ("SIGTERM"), for the log line.
PhaseDecision decide(DaemonPhase phase, PhaseEvent event, std::string_view cause = {});

}  // namespace corral::policies
