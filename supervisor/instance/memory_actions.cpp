#include "supervisor/instance/memory_actions.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "base/process_info.hpp"
#include "supervisor/instance/required_timer.hpp"

namespace corral::supervisor {

MemoryActions::MemoryActions(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group)
    : driver_(driver),
      instance_(std::move(instance)),
      group_(std::move(group)),
      kill_timer_(required_timer(loop, instance_, this)) {}

void MemoryActions::carry_out(const MemoryMonitor::Verdict& verdict, Incarnation& incarnation,
                              const config::StopSpec& stop) {
    switch (verdict.action) {
        case MemoryMonitor::Action::none: break;
        case MemoryMonitor::Action::snapshot: ask_for_snapshots(verdict.why); break;
        case MemoryMonitor::Action::restart:
            spdlog::warn("{}: {}: restarting it", instance_, verdict.why);
            incarnation.signal_group(stop.signal);
            restarting_ = &incarnation;
            uv_timer_start(kill_timer_.get(), on_kill_timeout, static_cast<uint64_t>(stop.timeout.count()), 0);
            break;
        case MemoryMonitor::Action::kill_thrashing:
            spdlog::error("{}: thrashing: {}: killing it", instance_, verdict.why);
            incarnation.signal_group(SIGKILL);
            break;
    }
}

void MemoryActions::ask_for_snapshots(const std::string& why) {
    Result<std::vector<pid_t>> pids = driver_.procs(group_);
    int asked = 0;
    for (const pid_t pid : pids ? *pids : std::vector<pid_t>{}) {
        if (is_node_process(pid) && ::kill(pid, SIGUSR2) == 0) ++asked;
    }
    spdlog::warn("{}: {}: asked {} Node process(es) for a heap snapshot", instance_, why, asked);
}

void MemoryActions::incarnation_gone() {
    uv_timer_stop(kill_timer_.get());
    restarting_ = nullptr;
}

void MemoryActions::on_kill_timeout(uv_timer_t* timer) {
    auto* self = static_cast<MemoryActions*>(timer->data);
    if (self->restarting_ != nullptr) self->restarting_->signal_group(SIGKILL);
}

}  // namespace corral::supervisor
