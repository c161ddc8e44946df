#pragma once
// What corral does when an instance's memory calls for it (a MemoryMonitor::Verdict): it asks every Node
// process of the cgroup for a heap snapshot (SIGUSR2), restarts the incarnation at memory.restart_at (its
// stop signal, then SIGKILL once its stop timeout has passed), or SIGKILLs it for thrashing.
//
// Ownership: the Instance owns one, made together with its cgroup. It owns the kill timer of a memory
// restart and points to the incarnation being restarted until incarnation_gone(), which the owner calls
// before that incarnation is destroyed.
#include <uv.h>

#include <string>

#include "base/uv_handle.hpp"
#include "supervisor/cgroup/driver.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/instance/incarnation.hpp"
#include "supervisor/instance/memory_monitor.hpp"

namespace corral::supervisor {

class MemoryActions {
public:
    // `instance` names it in log lines ("api#0"); `group` is its cgroup ("api/0").
    MemoryActions(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group);
    MemoryActions(const MemoryActions&) = delete;
    MemoryActions& operator=(const MemoryActions&) = delete;

    void carry_out(const MemoryMonitor::Verdict& verdict, Incarnation& incarnation, const config::StopSpec& stop);
    // The incarnation is gone: a pending kill is off.
    void incarnation_gone();

private:
    static void on_kill_timeout(uv_timer_t* timer);
    void ask_for_snapshots(const std::string& why);

    cgroup::Driver& driver_;
    std::string instance_;
    std::string group_;
    Incarnation* restarting_ = nullptr;  // killed at the timeout unless gone by then
    UvHandle<uv_timer_t> kill_timer_;
};

}  // namespace corral::supervisor
