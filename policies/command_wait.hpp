#pragma once
// When a command that waits for its result (start, stop, restart, reload) is done: one WaitItem per
// instance it waits for, moved by the instance's transitions, and a verdict over all of them. Pure: the
// daemon's Waiter (supervisor/daemon/waiter.hpp) feeds it what it sees and carries out what it decides.
//
// Goals:
//   running    start: the instance is running. One already running when the command comes is done at
//              once ("already"). Any transition into running is done; one into backoff, failed, exited or
//              stopped before that is a failed start, with that transition's reason.
//   new_start  restart, and what a reload starts: the same, but only a transition into running counts, so
//              the instance went through a new start after the request.
//   down       stop, and what a reload stops: the instance is stopped, failed or exited and has no process.
//              One already down is done at once; a transition into starting first (someone started it
//              again) fails it.
// Readiness will only change when an instance becomes `running`: these goals hold as they are.
//
// The wait ends at the first failure (what is still pending keeps going in the daemon, and is listed), or
// once every item is done. Heartbeats ("still waiting for ...") come every `heartbeat` from the start of
// the wait; the optional timeout ends it with what is still pending.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "policies/clock.hpp"
#include "policies/lifecycle.hpp"

namespace corral::policies {

enum class WaitGoal { running, new_start, down };
enum class WaitProgress { pending, done, failed };

struct WaitItem {
    WaitGoal goal = WaitGoal::running;
    WaitProgress progress = WaitProgress::pending;
    bool already = false;          // done before the command changed anything
    State state = State::stopped;  // as last seen
    std::string reason;            // of the transition that settled the item (or the last one seen)
};

// The item of an instance in `state` (with a process or not) as the command comes, before it acts.
WaitItem begin_wait(WaitGoal goal, State state, bool has_process);
// A transition of its instance; `has_process`: whether the instance has a process after it.
void on_transition(WaitItem& item, State from, State to, std::string_view reason, bool has_process);
// Its state read again (a down goal may be met once the last process is gone).
void on_recheck(WaitItem& item, State state, bool has_process);
// Its Instance no longer exists (a reload removed it, and it stopped): done for down, failed otherwise.
void on_removed(WaitItem& item);

enum class Verdict { waiting, done, failed };
Verdict verdict(std::span<const WaitItem> items);

// What the wait's one timer does next, and when.
struct WaitAlarm {
    enum class Kind { heartbeat, deadline };
    Kind kind = Kind::heartbeat;
    TimePoint at{};
};
// The first heartbeat after `now` (every `heartbeat` from `started`), or the deadline when it comes first
// (or at the same time).
WaitAlarm next_alarm(TimePoint started, Duration heartbeat, std::optional<Duration> timeout, TimePoint now);

std::string_view to_string(WaitProgress progress);

}  // namespace corral::policies
