#pragma once
// What the daemon tells systemd through sd_notify(3) when a unit of Type=notify runs it (NOTIFY_SOCKET set):
//   READY=1      once the first start has settled (expect_ready(), then ready() when the daemon sees no
//                instance starting or stopping any more: each one is running, or its start ended in backoff,
//                failed or exited), and again once a reload has settled the same way.
//   STATUS=      one line, "2 services: 3 running, 1 failed", on every change but at most once a second.
//   RELOADING=1  with MONOTONIC_USEC= (systemd 253 and later want it), when a reload begins.
//   STOPPING=1   when the shutdown begins.
//   WATCHDOG=1   every half of WatchdogSec, from a timer on the loop, when the unit sets it (WATCHDOG_USEC,
//                and WATCHDOG_PID when set, for this process): a loop that hangs stops the pings.
// Without NOTIFY_SOCKET nothing is sent and no timer runs. The environment is kept (unset_environment = 0):
// every later message needs NOTIFY_SOCKET; the instances do not inherit it nor WATCHDOG_* (a Node worker
// must not speak for the unit: see Instance::child_environment).
//
// Owns its two timers; close() (or the destructor) closes them.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/uv_handle.hpp"
#include "policies/lifecycle.hpp"

namespace corral::supervisor {

// "2 services: 3 running, 1 failed": the states that have instances, in lifecycle order.
std::string notify_summary(std::size_t services, std::span<const policies::State> states);

class SystemdNotifier {
public:
    static constexpr uint64_t kStatusEveryMs = 1'000;

    // `summary`: the STATUS= line as it is now.
    SystemdNotifier(uv_loop_t* loop, std::function<std::string()> summary);
    ~SystemdNotifier() { close(); }
    SystemdNotifier(const SystemdNotifier&) = delete;
    SystemdNotifier& operator=(const SystemdNotifier&) = delete;

    bool enabled() const { return enabled_; }
    // A start or reload was applied: READY=1 is due once the daemon has settled.
    void expect_ready() { awaiting_ready_ = enabled_ && !stopping_; }
    bool awaiting_ready() const { return awaiting_ready_; }
    void ready();
    // Only once READY=1 was sent: a reload during the first start is part of that start for systemd.
    void reloading();
    void stopping();
    // Something the summary shows changed.
    void changed();
    void close();

private:
    static void on_status(uv_timer_t* timer);
    static void on_watchdog(uv_timer_t* timer);
    void send_status();
    void send(const std::string& message);

    uv_loop_t* loop_;
    std::function<std::string()> summary_;
    bool enabled_ = false;
    bool awaiting_ready_ = false;
    bool was_ready_ = false;
    bool stopping_ = false;
    bool complained_ = false;  // a failed send was logged as a warning; the next ones as debug
    std::string last_status_;
    uint64_t status_sent_at_ = 0;  // loop time
    UvHandle<uv_timer_t> status_timer_;
    UvHandle<uv_timer_t> watchdog_timer_;
};

}  // namespace corral::supervisor
