#pragma once
// The sender throttle of one instance: when the instance writes to its channel faster than the broker
// reads it (bytes wait unread on the daemon's end), its CPU is capped through its cgroup until the broker
// has caught up, then the configured cap is put back. The policy (policies::SenderThrottle) decides; this
// carries its decisions out, logs each engagement and lift once, with the numbers, and counts them.
//
// Samples come from the broker, after reads of the instance (no timer while it sends nothing). While
// throttled, a timer also asks the broker every kCheck: a sender that stopped sending is read no more,
// and its throttle must still be lifted.
//
// Ownership: the Instance owns one for its whole life; start() (the program was exec'd) registers with
// the broker, end() (the incarnation is gone) unregisters and lifts. The broker and the cgroup driver
// are the daemon's and outlive it.
#include <uv.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/uv_handle.hpp"
#include "ipc/broker.hpp"
#include "policies/sender_throttle.hpp"
#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor {

class CpuThrottle {
public:
    static constexpr policies::Duration kCheck{100};

    struct Setup {
        std::string name;  // "api#0", for log lines
        std::string service;
        unsigned index = 0;
        ipc::Broker* broker = nullptr;     // null: no channels, nothing to throttle
        cgroup::Driver* cgroups = nullptr;  // null: no cgroups, nothing to throttle with
    };

    struct State {
        policies::TimePoint since;
        std::size_t peak_unread = 0;
        unsigned cpu_percent = 0;  // the cap in force
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

    // nullopt while not throttled.
    std::optional<State> state() const;
    std::uint64_t engagements() const { return policy_ ? policy_->engagements() : 0; }
    policies::Duration throttled_for(policies::TimePoint now) const {
        return policy_ ? policy_->throttled_for(now) : policies::Duration{0};
    }

private:
    static void on_timer(uv_timer_t* timer);
    void on_unread(std::size_t unread);
    // Writes the throttled cap (true) or the configured one back (false); false when the write failed.
    bool apply(bool throttled);
    unsigned throttled_cap() const;

    Setup setup_;
    std::string group_;
    std::optional<unsigned> configured_cap_;
    std::optional<policies::SenderThrottle> policy_;  // from the first start with the throttle on; keeps the counts
    bool watching_ = false;
    UvHandle<uv_timer_t> timer_;
};

}  // namespace corral::supervisor
