#pragma once
// One request that waits for its result (start, stop, restart, reload with "wait": true): an item per
// instance it waits for, moved by the transitions that Waiters routes to it (policies/command_wait.hpp
// decides what each one means), a progress event to its client for each of them, a heartbeat every
// kHeartbeat while something is pending, and one reply at the end:
//   done     {"id":ID,"ok":true,"result":RESULT + {"outcomes":[...]}}
//   failed   {"id":ID,"ok":false,"error":{"code":"wait_failed","message":"web#1: <reason>",
//                                         "details":RESULT + {"outcomes":[...]}}}
//   timeout  the same with "timeout", and the items still pending named in the message.
// RESULT is what the reply without waiting would have been ({"instances":[...]}, {"changes":[...]}).
//
// Ownership: Waiters owns every Waiter. A Waiter refers to its client and to Instances; it is told when
// either goes (client_gone(), removed()) before it could dangle, and once finished() it touches neither.
#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/uv_handle.hpp"
#include "policies/command_wait.hpp"
#include "supervisor/control/control_connection.hpp"
#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

// What a waiting command waits for: `instance` reaching `goal`. An Instance, not a name: while one
// instance replaces another of the same name (a rolling restart), the two are followed apart.
struct Awaited {
    const Instance* instance = nullptr;
    policies::WaitGoal goal = policies::WaitGoal::running;
};

class Waiter {
public:
    static constexpr policies::Duration kHeartbeat{5'000};

    struct Item {
        const Instance* instance;  // null once removed()
        std::string name;
        policies::WaitItem wait;
    };

    Waiter(uv_loop_t* loop, ControlConnection& client, std::int64_t id, nlohmann::json result,
           std::vector<Item> items, std::optional<policies::Duration> timeout);
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;

    // Replies now when nothing is pending; else sends progress from here on and arms the timer.
    void start();
    // A transition of any instance (`has_process`: whether it has a process after it); `event` is its line
    // in the events stream, sent on when the instance is one of ours.
    void transition(const Instance& instance, policies::State from, policies::State to, const std::string& reason,
                    bool has_process, const nlohmann::json& event);
    void recheck(const Instance& instance);
    void removed(const Instance& instance);
    // The client went: finished, without a word.
    void client_gone();
    // Ends the wait now with an error reply (the daemon is stopping).
    void abandon(protocol::ErrorCode code, const std::string& why);

    bool finished() const { return finished_; }
    const ControlConnection* client() const { return finished_ ? nullptr : &client_; }

private:
    static void on_timer(uv_timer_t* timer);
    void alarm();
    void arm();
    void conclude();
    void finish();
    // The heartbeat due `at` (its elapsed time is counted to then, not to when the timer ran).
    void heartbeat(policies::TimePoint at);
    nlohmann::json details() const;
    // "web#1 (starting), web#2 (stopping)"
    std::string pending_text() const;

    uv_loop_t* loop_;
    ControlConnection& client_;
    std::int64_t id_;
    nlohmann::json result_;
    std::vector<Item> items_;
    std::optional<policies::Duration> timeout_;
    policies::TimePoint started_;
    UvHandle<uv_timer_t> timer_;
    policies::WaitAlarm alarm_;  // armed on timer_
    bool finished_ = false;
};

}  // namespace corral::supervisor
