#pragma once
// The sender throttle of one instance: when the instance writes to its channel faster than the broker
// reads it (bytes wait unread on the daemon's end), its CPU is capped through its cgroup until the broker
// has caught up, then the configured cap is put back. The policy (policies::SenderThrottle) decides; this
// carries its decisions out, logs each engagement and lift once, with the numbers, and counts them.
// The last step is the channel freeze (policies::ChannelFreeze): a sender whose socket is a quarter full,
// at any cap, is frozen until the broker has read it down, so that its socket never fills (once it does,
// Node keeps what the program sends in the program's own memory, for good).
//
// Samples come from the broker, after reads of the instance (no timer while it sends nothing). A timer
// also asks the broker: every kCheck while throttled (a sender that stopped sending is read no more, and
// its throttle must still be lifted), every kUnreadCheck while the broker does not read the instance or
// it is frozen (its socket fills, or empties, without a sign).
//
// Ownership: the Instance owns one for its whole life; start() (the program was exec'd) registers with
// the broker, end() (the incarnation is gone) unregisters, lifts and thaws. The broker and the cgroup
// driver are the daemon's, the freezer the Instance's: all outlive it.
#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/uv_handle.hpp"
#include "ipc/broker.hpp"
#include "policies/channel_freeze.hpp"
#include "policies/sender_throttle.hpp"
#include "supervisor/cgroup/driver.hpp"
#include "supervisor/instance/group_freezer.hpp"

namespace corral::supervisor {

class CpuThrottle {
public:
    static constexpr policies::Duration kCheck{100};
    static constexpr policies::Duration kUnreadCheck{10};

    struct Setup {
        std::string name;  // "api#0", for log lines
        std::string service;
        unsigned index = 0;
        ipc::Broker* broker = nullptr;     // null: no channels, nothing to throttle
        cgroup::Driver* cgroups = nullptr;  // null: no cgroups, nothing to throttle with
        GroupFreezer* freezer = nullptr;     // null: never frozen
    };

    struct State {
        policies::TimePoint since;
        std::size_t peak_unread = 0;
        std::optional<unsigned> cpu_percent;  // the cap in force (nullopt: frozen, not throttled)
        bool frozen = false;                  // its channel is close to full
    };

    CpuThrottle(uv_loop_t* loop, Setup setup);
    ~CpuThrottle();
    CpuThrottle(const CpuThrottle&) = delete;
    CpuThrottle& operator=(const CpuThrottle&) = delete;

    // The program runs in `group` ("api/0"; "" without one) with `configured_cap` (its cpu.max_percent).
    // `params` nullopt: the throttle is off for this incarnation.
    void start(const std::optional<policies::SenderThrottleParams>& params, std::string group,
               std::optional<unsigned> configured_cap);
    // The incarnation is gone: the broker stops reporting and a throttle in force is lifted.
    void end();
    // A reload changed the service's cpu.max_percent, already written to the group: a throttle in force
    // is put back, within the new cap.
    void set_configured_cap(std::optional<unsigned> configured_cap);

    // nullopt while neither throttled nor frozen.
    std::optional<State> state() const;
    std::uint64_t engagements() const { return policy_ ? policy_->engagements() : 0; }
    std::uint64_t freezes() const { return freeze_.freezes(); }
    // Frozen time of every freeze that ended, plus the current one up to `now`.
    policies::Duration frozen_for(policies::TimePoint now) const;
    policies::Duration throttled_for(policies::TimePoint now) const {
        return policy_ ? policy_->throttled_for(now) : policies::Duration{0};
    }

private:
    static void on_timer(uv_timer_t* timer);
    void on_backlog(const ipc::SenderBacklog& backlog);
    void throttle(std::size_t behind);
    void freeze(const ipc::SenderBacklog& backlog);
    // Ends a freeze in force (the broker read the channel down, or the instance is gone).
    void thaw(policies::TimePoint now);
    // The timer's period for what is going on (stopped when nothing is).
    void schedule(bool read);
    // Writes the throttled cap (true) or the configured one back (false); false when the write failed.
    bool apply(bool throttled);
    unsigned throttled_cap() const;

    Setup setup_;
    std::string group_;
    std::optional<unsigned> configured_cap_;
    std::optional<policies::SenderThrottle> policy_;  // from the first start with the throttle on; keeps the counts
    policies::ChannelFreeze freeze_;
    policies::TimePoint frozen_since_{};
    policies::Duration frozen_before_{0};  // of the freezes that ended
    std::uint64_t period_ms_ = 0;  // of the running timer (0: stopped)
    bool watching_ = false;
    UvHandle<uv_timer_t> timer_;
};

}  // namespace corral::supervisor
