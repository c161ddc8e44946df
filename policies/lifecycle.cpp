#include "policies/lifecycle.hpp"

#include <array>

#include "base/text_format.hpp"

namespace corral::policies {
namespace {

enum class Step {
    ignore,
    exec_done,        // running now, or once ready
    mark_ready,
    not_ready,        // the ready timeout: kill it, a failed start
    after_exit,       // an unrequested exit: restart, give up or stay down
    after_stop,       // the requested stop is complete
    begin_stop,
    begin_restart,
    defer_start,      // remember to start once the stop completes
    cancel_deferred,  // a stop while stopping wins over an earlier start request
    spawn_next,       // the backoff is over
    spawn_now,        // a user start/restart skips the remaining backoff
    spawn_fresh,      // a user start from a down state: the crash history is forgiven
    cancel_backoff,
    kill,
};

using S = Step;
// Rows: starting, running, backoff, stopping, stopped, failed, exited.
// Columns: start, exec_ok, gone, backoff_elapsed, stop, restart, stop_timeout, ready, ready_timeout.
constexpr std::array<std::array<Step, kEventCount>, kStateCount> kTable = {{
    {S::ignore, S::exec_done, S::after_exit, S::ignore, S::begin_stop, S::begin_restart, S::ignore, S::mark_ready, S::not_ready},
    {S::ignore, S::ignore, S::after_exit, S::ignore, S::begin_stop, S::begin_restart, S::ignore, S::ignore, S::ignore},
    {S::spawn_now, S::ignore, S::ignore, S::spawn_next, S::cancel_backoff, S::spawn_now, S::ignore, S::ignore, S::ignore},
    {S::defer_start, S::ignore, S::after_stop, S::ignore, S::cancel_deferred, S::defer_start, S::kill, S::ignore, S::ignore},
    {S::spawn_fresh, S::ignore, S::ignore, S::ignore, S::ignore, S::spawn_fresh, S::ignore, S::ignore, S::ignore},
    {S::spawn_fresh, S::ignore, S::ignore, S::ignore, S::ignore, S::spawn_fresh, S::ignore, S::ignore, S::ignore},
    {S::spawn_fresh, S::ignore, S::ignore, S::ignore, S::ignore, S::spawn_fresh, S::ignore, S::ignore, S::ignore},
}};

Decision spawn(InstanceState next, TimePoint now, std::string reason) {
    if (next.ever_started) ++next.restarts;
    next.ever_started = true;
    next.started_at = now;
    next.start_after_stop = false;
    next.not_ready = false;
    next.state = State::starting;
    return {std::move(next), Action::spawn, Duration{0}, std::move(reason)};
}

Decision after_exit(InstanceState next, const Event& event, const LifecyclePolicy& policy, TimePoint now) {
    const ExitStatus& exit = event.exit;
    const TimePoint ended = exit.ended_at != TimePoint{} && exit.ended_at < now ? exit.ended_at : now;
    const auto uptime = std::chrono::duration_cast<Duration>(ended - next.started_at);
    std::string what = (event.cause.empty() ? describe(exit) : event.cause) + " after " + format_duration(uptime);
    if (next.not_ready) what = "not ready within " + format_duration(policy.ready_timeout) + " (" + what + ")";
    if (!wants_restart(policy.restart, exit)) {
        next.state = State::exited;
        return {std::move(next), Action::none, Duration{0},
                what + "; restart = \"" + std::string(to_string(policy.restart)) + "\": not restarting"};
    }
    if (uptime >= policy.backoff.reset_after) next.consecutive_restarts = 0;
    if (!next.window.admit(policy.start_limit, now)) {
        next.state = State::failed;
        return {std::move(next), Action::none, Duration{0},
                what + "; " + std::to_string(policy.start_limit.burst) + " restarts within " +
                    format_duration(policy.start_limit.interval) +
                    " already (start_limit): giving up until started again"};
    }
    ++next.consecutive_restarts;
    const Duration delay = backoff_delay(policy.backoff, next.consecutive_restarts);
    next.state = State::backoff;
    return {std::move(next), Action::arm_backoff, delay, what + "; restarting in " + format_duration(delay)};
}

}  // namespace

std::string_view to_string(State state) {
    switch (state) {
        case State::starting: return "starting";
        case State::running: return "running";
        case State::backoff: return "backoff";
        case State::stopping: return "stopping";
        case State::stopped: return "stopped";
        case State::failed: return "failed";
        case State::exited: return "exited";
    }
    return "?";
}

bool is_down(State state) {
    return state == State::stopped || state == State::failed || state == State::exited;
}

std::string_view to_string(EventKind kind) {
    switch (kind) {
        case EventKind::start: return "start";
        case EventKind::exec_ok: return "exec_ok";
        case EventKind::gone: return "gone";
        case EventKind::backoff_elapsed: return "backoff_elapsed";
        case EventKind::stop: return "stop";
        case EventKind::restart: return "restart";
        case EventKind::stop_timeout: return "stop_timeout";
        case EventKind::ready: return "ready";
        case EventKind::ready_timeout: return "ready_timeout";
    }
    return "?";
}

Decision decide(const InstanceState& current, const Event& event, const LifecyclePolicy& policy, TimePoint now) {
    const Step step = kTable[static_cast<int>(current.state)][static_cast<int>(event.kind)];
    InstanceState next = current;
    switch (step) {
        case Step::ignore: return {std::move(next), Action::none, Duration{0}, {}};
        case Step::exec_done:
            if (policy.wait_ready) {
                return {std::move(next), Action::await_ready, policy.ready_timeout,
                        "program started, waiting until it is ready"};
            }
            next.state = State::running;
            return {std::move(next), Action::none, Duration{0}, "program started"};
        case Step::mark_ready:
            next.state = State::running;
            return {std::move(next), Action::cancel_timer, Duration{0}, "ready: " + event.cause};
        case Step::not_ready:
            next.not_ready = true;
            return {std::move(next), Action::kill, Duration{0},
                    "not ready within " + format_duration(policy.ready_timeout) +
                        (event.cause.empty() ? "" : " (" + event.cause + ")") + ": killing it"};
        case Step::after_exit: return after_exit(std::move(next), event, policy, now);
        case Step::after_stop:
            if (next.start_after_stop) return spawn(std::move(next), now, "stopped, starting again as requested");
            next.state = State::stopped;
            return {std::move(next), Action::cancel_timer, Duration{0}, "stopped (" + describe(event.exit) + ")"};
        case Step::begin_stop:
            next.state = State::stopping;
            next.start_after_stop = false;
            return {std::move(next), Action::send_stop_signal, Duration{0}, "stop requested"};
        case Step::begin_restart:
            next.state = State::stopping;
            next.start_after_stop = true;
            return {std::move(next), Action::send_stop_signal, Duration{0}, "restart requested"};
        case Step::defer_start:
            next.start_after_stop = true;
            return {std::move(next), Action::none, Duration{0}, "will start again once stopped"};
        case Step::cancel_deferred:
            next.start_after_stop = false;
            return {std::move(next), Action::none, Duration{0}, "stop requested, will stay down"};
        case Step::spawn_next: return spawn(std::move(next), now, "restart delay elapsed");
        case Step::spawn_now: return spawn(std::move(next), now, std::string(to_string(event.kind)) + " requested");
        case Step::spawn_fresh:
            next.consecutive_restarts = 0;
            next.window.reset();
            return spawn(std::move(next), now, std::string(to_string(event.kind)) + " requested");
        case Step::cancel_backoff:
            next.state = State::stopped;
            return {std::move(next), Action::cancel_timer, Duration{0}, "stop requested during restart delay"};
        case Step::kill:
            return {std::move(next), Action::kill, Duration{0},
                    "stop timeout: the process ignored its stop signal, sending SIGKILL"};
    }
    return {std::move(next), Action::none, Duration{0}, {}};
}

}  // namespace corral::policies
