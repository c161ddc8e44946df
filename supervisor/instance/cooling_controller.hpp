#pragma once
// The cooling controller of one instance: cool periods for heavy writers. The policy
// (policies::CoolingPolicy) decides; this carries its decisions out while an incarnation runs. A cooling
// instance gets no deliveries from the broker (its messages wait in its queues, spilling as usual) and,
// when it is the heavy IPC sender, cooled by hand or in freeze mode, its channel is not read; in freeze
// mode its cgroup is frozen too. Every transition is logged once and reported to the owner.
//
// Ownership: the Instance owns one for its whole life. A policy exists from start() (the program was
// exec'd) to end() (the incarnation is gone). The controller owns that policy, its timer (the end of a
// cool period, a schedule's next turn) and the IPC-rate sampling. The broker is the daemon's, the freezer the
// Instance's: both outlive it.
#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/uv_handle.hpp"
#include "ipc/broker.hpp"
#include "policies/cooling.hpp"
#include "supervisor/instance/group_freezer.hpp"

namespace corral::supervisor {

class CoolingController {
public:
    class Owner {
    public:
        // A cool period started or ended.
        virtual void on_cooling(bool cooling, const std::string& reason) = 0;

    protected:
        ~Owner() = default;
    };

    // Who it cools: `name` for log lines ("api#0"), `service` and `index` for the broker (null: no
    // channels), `freezer` for freeze mode (null: process groups only).
    struct Setup {
        std::string name;
        std::string service;
        unsigned index = 0;
        ipc::Broker* broker = nullptr;
        GroupFreezer* freezer = nullptr;
    };

    struct State {
        policies::CoolingMode mode = policies::CoolingMode::hold;
        std::optional<policies::Duration> left;  // nullopt: until corral heat
        std::string reason;
    };

    CoolingController(uv_loop_t* loop, Owner& owner, Setup setup);
    CoolingController(const CoolingController&) = delete;
    CoolingController& operator=(const CoolingController&) = delete;

    // The program runs: a policy with `params` starts (the freezer knows its cgroup).
    void start(const std::optional<policies::CoolingParams>& params, policies::TimePoint now);
    // One sample from the daemon's sampler. `params` are the spec's now (a reload applies them live);
    // `stats` is null when the cgroup's memory was not read, `write_rate` (bytes/s) goes with it.
    void sample(const std::optional<policies::CoolingParams>& params, const cgroup::MemoryStats* stats,
                double write_rate, std::int64_t now_ms, policies::TimePoint now);
    // The incarnation is gone: thawed, released by the broker, and the policy dropped.
    void end();

    // corral cool / corral heat; nullopt when no incarnation runs.
    std::optional<policies::CoolingTransition> cool(std::optional<policies::Duration> for_how_long);
    std::optional<policies::CoolingTransition> heat();
    // nullopt while working or not running.
    std::optional<State> state(policies::TimePoint now) const;
    // Every cool period of the instance's life together, the one under way included.
    policies::Duration cooled_for(policies::TimePoint now) const {
        return cooled_ + (carried_out_ ? std::chrono::duration_cast<policies::Duration>(now - cooling_since_)
                                       : policies::Duration{0});
    }

private:
    static void on_timer(uv_timer_t* timer);
    std::optional<double> ipc_rate(const policies::CoolingParams& params, std::int64_t now_ms);
    void carry_out(const std::optional<policies::CoolingTransition>& transition, policies::TimePoint now);
    void announce(const policies::CoolingTransition& transition, policies::TimePoint now);
    void schedule_check(policies::TimePoint now);
    void want_frozen(bool frozen);
    // A cool period began (true) or ended: for cooled_for().
    void note_cooled(bool cooling, policies::TimePoint now);

    Owner& owner_;
    Setup setup_;
    std::optional<policies::CoolingPolicy> policy_;  // while an incarnation runs
    bool carried_out_ = false;                        // held by the broker (and frozen, in freeze mode)
    UvHandle<uv_timer_t> timer_;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> ipc_sent_;  // messages, bytes at ipc_sent_ms_
    std::int64_t ipc_sent_ms_ = 0;
    policies::Duration cooled_{0};     // cool periods that ended
    policies::TimePoint cooling_since_{};  // of the one under way
};

}  // namespace corral::supervisor
