#include "policies/command_wait.hpp"

#include <algorithm>

namespace corral::policies {
namespace {

bool wants_running(WaitGoal goal) { return goal == WaitGoal::running || goal == WaitGoal::new_start; }

// A state a start can end in without having reached running.
bool ends_a_start(State state) { return state == State::backoff || is_down(state); }

void settle(WaitItem& item, WaitProgress progress, std::string reason) {
    item.progress = progress;
    item.reason = std::move(reason);
}

}  // namespace

WaitItem begin_wait(WaitGoal goal, State state, bool has_process) {
    WaitItem item;
    item.goal = goal;
    item.state = state;
    const bool there = goal == WaitGoal::running ? state == State::running
                                                 : goal == WaitGoal::down && is_down(state) && !has_process;
    if (there) {
        item.progress = WaitProgress::done;
        item.already = true;
    }
    return item;
}

void on_transition(WaitItem& item, State, State to, std::string_view reason, bool has_process) {
    if (item.progress != WaitProgress::pending) return;
    item.state = to;
    item.reason = std::string(reason);
    if (wants_running(item.goal)) {
        if (to == State::running) settle(item, WaitProgress::done, std::string(reason));
        else if (ends_a_start(to)) settle(item, WaitProgress::failed, std::string(reason));
        return;
    }
    if (is_down(to) && !has_process) {
        settle(item, WaitProgress::done, std::string(reason));
    } else if (to == State::starting) {
        settle(item, WaitProgress::failed, "started again before it was down (" + std::string(reason) + ")");
    }
}

void on_recheck(WaitItem& item, State state, bool has_process) {
    if (item.progress != WaitProgress::pending || item.goal != WaitGoal::down) return;
    item.state = state;
    if (is_down(state) && !has_process) item.progress = WaitProgress::done;
}

void on_removed(WaitItem& item) {
    if (item.progress != WaitProgress::pending) return;
    if (item.goal == WaitGoal::down) {
        item.progress = WaitProgress::done;
        return;
    }
    settle(item, WaitProgress::failed, "removed before it was running");
}

Verdict verdict(std::span<const WaitItem> items) {
    const auto is = [](WaitProgress progress) {
        return [progress](const WaitItem& item) { return item.progress == progress; };
    };
    if (std::any_of(items.begin(), items.end(), is(WaitProgress::failed))) return Verdict::failed;
    if (std::all_of(items.begin(), items.end(), is(WaitProgress::done))) return Verdict::done;
    return Verdict::waiting;
}

WaitAlarm next_alarm(TimePoint started, Duration heartbeat, std::optional<Duration> timeout, TimePoint now) {
    const Duration elapsed = std::max(Duration{0}, std::chrono::duration_cast<Duration>(now - started));
    const TimePoint beat = started + heartbeat * (elapsed / heartbeat + 1);
    if (timeout && started + *timeout <= beat) return {WaitAlarm::Kind::deadline, started + *timeout};
    return {WaitAlarm::Kind::heartbeat, beat};
}

std::string_view to_string(WaitProgress progress) {
    switch (progress) {
        case WaitProgress::pending: return "pending";
        case WaitProgress::done: return "done";
        case WaitProgress::failed: return "failed";
    }
    return "?";
}

}  // namespace corral::policies
