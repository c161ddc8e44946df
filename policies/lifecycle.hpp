#pragma once
// The lifecycle of one service instance, as a table: for every (state, event) the table names one step,
// and decide() turns that step into the next state plus one action for the I/O layer to carry out.
// decide() is pure: it reads the clock value it is given and returns the updated state; the Instance
// (supervisor/instance/instance.cpp) owns the process, the timers and the logging.
#include <string>
#include <string_view>

#include "policies/backoff.hpp"
#include "policies/clock.hpp"
#include "policies/exit_status.hpp"
#include "policies/restart_mode.hpp"
#include "policies/start_limit.hpp"

namespace corral::policies {

enum class State { starting, running, backoff, stopping, stopped, failed, exited };
inline constexpr int kStateCount = 7;
std::string_view to_string(State state);
// True for the states in which no process exists and none will be started without a command.
bool is_down(State state);

enum class EventKind {
    start,            // a user (or the daemon at start-up) asks for the instance to run
    exec_ok,          // the program was exec'd: the shim is gone, user code runs
    gone,             // the process exited and its process group is empty; `exit` says how
    backoff_elapsed,  // the restart delay is over
    stop,             // a user asks for the instance to stop
    restart,          // a user asks for a stop followed by a start
    stop_timeout,     // the stop signal was ignored for stop.timeout
    ready,            // the program said it is ready (or a probe found it so): `cause` says how
    ready_timeout,    // it did not become ready within ready_timeout
};
inline constexpr int kEventCount = 9;
std::string_view to_string(EventKind kind);

struct Event {
    Event(EventKind kind_, ExitStatus exit_ = {}, std::string cause_ = {})
        : kind(kind_), exit(exit_), cause(std::move(cause_)) {}

    EventKind kind;
    ExitStatus exit{};
    std::string cause;  // for `gone`: why it died, when known better than `exit` says ("OOM-killed ...")
};

enum class Action {
    none,
    spawn,             // start a new incarnation (cancelling any timer)
    send_stop_signal,  // send stop.signal to the process group and arm the stop timer
    kill,              // SIGKILL the process group
    arm_backoff,       // start the restart timer with Decision::delay
    cancel_timer,
    await_ready,       // start the readiness checks and the ready timer with Decision::delay
};

struct LifecyclePolicy {
    RestartMode restart = RestartMode::always;
    BackoffParams backoff;
    StartLimitParams start_limit;
    // An instance is `running` once its program says it is ready, not when it was exec'd; one that is not
    // ready within ready_timeout is killed, and that counts as a failed start.
    bool wait_ready = false;
    Duration ready_timeout{30'000};
};

struct InstanceState {
    State state = State::stopped;
    TimePoint started_at{};           // when the current (or last) incarnation was spawned
    unsigned consecutive_restarts = 0;  // drives the backoff exponent
    unsigned restarts = 0;              // every start after the first, for status
    bool ever_started = false;
    bool start_after_stop = false;      // a start or restart arrived while stopping
    bool not_ready = false;             // the current incarnation was killed for not becoming ready in time
    StartLimitWindow window;
};

struct Decision {
    InstanceState next;
    Action action = Action::none;
    Duration delay{0};   // for arm_backoff
    std::string reason;  // why, for the transition log line; empty when the event was ignored
};

Decision decide(const InstanceState& current, const Event& event, const LifecyclePolicy& policy, TimePoint now);

}  // namespace corral::policies
