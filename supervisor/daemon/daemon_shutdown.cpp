// Daemon: the way out, phase by phase (policies/daemon_phase.hpp). The events come from the signals, the
// shutdown command, and settle(), which runs on a zero-delay timer whenever an instance goes down or quiet
// (and also frees the instances that a reload retired, once they are quiet).
#include <spdlog/spdlog.h>

#include <csignal>

#include "policies/signal_names.hpp"
#include "supervisor/daemon/daemon.hpp"

namespace corral::supervisor {

using policies::DaemonPhase;
using policies::PhaseEvent;

namespace {

// Once every instance is down, how long output pipes may stay open (held by a process that survived
// SIGKILL in uninterruptible sleep) before the daemon exits without their last bytes.
constexpr uint64_t kPipesGraceMs = 2'000;
// After the drain timeout, how long receivers may take to read what was already written to them.
constexpr policies::Duration kReadGrace{2'000};

}  // namespace

// The shutdown command stops the daemon as SIGTERM does, and its log line says so in the same words.
void Daemon::shut_down() { advance(PhaseEvent::stop_command, policies::signal_name(SIGTERM)); }

void Daemon::advance(PhaseEvent event, std::string_view cause) {
    const policies::PhaseDecision decision = policies::decide(phase_, event, cause);
    if (decision.reason.empty()) return;
    switch (decision.notice) {
        case policies::Notice::debug: spdlog::debug("{}", decision.reason); break;
        case policies::Notice::info: spdlog::info("{}", decision.reason); break;
        case policies::Notice::warning: spdlog::warn("{}", decision.reason); break;
    }
    const bool was_stopping = policies::is_stopping(phase_);
    phase_ = decision.next;
    if (!was_stopping && policies::is_stopping(phase_)) {
        control_.daemon_stopping();
        notifier_.stopping();
    }
    carry_out(decision.action);
}

void Daemon::carry_out(policies::PhaseAction action) {
    switch (action) {
        case policies::PhaseAction::none: break;
        case policies::PhaseAction::drain:
            broker_.begin_drain();
            drain_deadline_ = policies::Clock::now() + config_.supervisor.drain_timeout;
            uv_timer_start(drain_timer_.get(), on_drain_tick, 0, 0);
            break;
        case policies::PhaseAction::persist_stop:
        case policies::PhaseAction::persist_kill:
            uv_timer_stop(drain_timer_.get());
            broker_.persist();
            for_each_instance([](Instance& instance) { instance.stop(); });
            if (action == policies::PhaseAction::persist_kill) {
                for_each_instance([](Instance& instance) { instance.kill_now(); });
            }
            schedule_settle();
            break;
        case policies::PhaseAction::stop_all:
            for_each_instance([](Instance& instance) { instance.stop(); });
            schedule_settle();
            break;
        case policies::PhaseAction::kill_all: for_each_instance([](Instance& instance) { instance.kill_now(); }); break;
        case policies::PhaseAction::sweep: sweep(); break;
        case policies::PhaseAction::close: finish(); break;
    }
}

// Draining: the broker is asked every few milliseconds whether its receivers took everything (a receiver
// reading its socket is no event the daemon sees). Once the drain timeout is over the broker writes nothing
// more, and the receivers get a short grace to read what was written to them, so that what they are sent is
// what they handle before their stop signal.
void Daemon::on_drain_tick(uv_timer_t* timer) {
    auto* daemon = static_cast<Daemon*>(timer->data);
    if (daemon->phase_ != DaemonPhase::draining) return;
    const auto now = policies::Clock::now();
    const bool late = now >= daemon->drain_deadline_;
    if (late) daemon->broker_.stop_delivering();
    if (daemon->broker_.drained()) {
        daemon->advance(late ? PhaseEvent::drain_deadline : PhaseEvent::drained);
    } else if (now >= daemon->drain_deadline_ + kReadGrace) {
        daemon->advance(PhaseEvent::drain_deadline);
    } else {
        uv_timer_start(timer, on_drain_tick, 5, 0);
    }
}

// Destroying instances or closing handles from inside their own callbacks is avoided by doing both here,
// on a zero-delay timer.
void Daemon::schedule_settle() {
    if (settle_timer_) uv_timer_start(settle_timer_.get(), on_settle, 0, 0);
}

void Daemon::on_settle(uv_timer_t* timer) { static_cast<Daemon*>(timer->data)->settle(); }

bool Daemon::all_down() const {
    bool down = true;
    for_each_instance([&](const Instance& instance) {
        if (!policies::is_down(instance.state()) || instance.pid() > 0) down = false;
    });
    return down;
}

bool Daemon::everything_quiet() const {
    bool quiet = OrphanReaper::children().empty();
    for_each_instance([&](const Instance& instance) { quiet = quiet && instance.quiet(); });
    return quiet;
}

void Daemon::settle() {
    if (exit_when_done_) stop_when_done();
    for (const auto& instance : retiring_) {
        if (instance->quiet()) control_.instance_removed(*instance);
    }
    std::erase_if(retiring_, [](const auto& instance) { return instance->quiet(); });
    notify_if_settled();
    if (phase_ == DaemonPhase::stopping && all_down()) advance(PhaseEvent::all_down);
    if (phase_ != DaemonPhase::sweeping) return;
    reaper_.reap();
    if (everything_quiet()) {
        advance(PhaseEvent::quiet);
        return;
    }
    uv_timer_start(settle_timer_.get(), on_settle, 50, 0);
}

void Daemon::sweep() {
    reaper_.reap();
    for (const pid_t pid : OrphanReaper::children()) {
        // An owned pid is one corral already stopped (a dropped standby) and whose exit libuv will hear.
        if (reaper_.owns(pid)) continue;
        // Already dying (it left its cgroup, which is how the stop saw the group empty): its SIGCHLD
        // will come, and settle() waits for it.
        if (OrphanReaper::exiting(pid)) continue;
        spdlog::warn("process {} left its service's process group and is still running: killing it", pid);
        ::kill(pid, SIGKILL);
    }
    uv_timer_start(pipes_timer_.get(), on_pipes_deadline, kPipesGraceMs, 0);
}

// What was quiet by now closes without a warning; what was not, with one.
void Daemon::on_pipes_deadline(uv_timer_t* timer) {
    auto* daemon = static_cast<Daemon*>(timer->data);
    daemon->settle();
    daemon->advance(PhaseEvent::pipes_deadline);
}

void Daemon::finish() {
    write_status();
    services_.clear();
    retiring_.clear();
    if (cgroups_) {
        if (Status removed = cgroups_->remove_top(); !removed) {
            spdlog::warn("cgroups of this daemon stay behind: {}", removed.error().message());
        }
    }
    close_handles();
}

}  // namespace corral::supervisor
