// Instance: memory watching and the road from an exit to the lifecycle's `gone` event: gather the
// evidence, classify the death, write the post-mortem, remember the last exit.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <system_error>

#include "base/instance_name.hpp"
#include "base/process_info.hpp"
#include "supervisor/instance/instance.hpp"
#include "supervisor/postmortem/bundle_writer.hpp"

namespace corral::supervisor {

using policies::EventKind;

namespace {

constexpr std::string_view kHeapOom = "JavaScript heap out of memory";
constexpr std::chrono::minutes kTimelineSpan{10};

}  // namespace

std::filesystem::path Instance::diagnostics_dir() const {
    return context_.supervisor.state_dir / "diagnostics" / instance_file_name(spec_->name, index_);
}

const std::optional<cgroup::MemoryStats>& Instance::memory() const {
    static const std::optional<cgroup::MemoryStats> none;
    return monitor_ ? monitor_->last() : none;
}

void Instance::prepare_memory_watch() {
    kernel_ooms_.clear();
    heap_oom_on_stderr_ = false;
    thrashing_.reset();
    memory_limit_.reset();
    if (spec_->node_diagnostics) {
        // What an earlier incarnation left without dying (a snapshot before a clean stop) goes.
        std::error_code ec;
        std::filesystem::remove_all(diagnostics_dir(), ec);
        std::filesystem::create_directories(diagnostics_dir(), ec);
    }
    if (!group_) return;
    const auto interval = std::max<std::int64_t>(1, context_.supervisor.sample_interval.count());
    const auto capacity = static_cast<std::size_t>(std::chrono::milliseconds(kTimelineSpan).count() / interval);
    if (!monitor_) {
        MemoryMonitor::Owner& owner = *this;
        monitor_ = std::make_unique<MemoryMonitor>(context_.loop, *context_.cgroups, name_, group_->name(), owner,
                                                   capacity);
    }
    monitor_->start_incarnation(spec_->memory_watch);
}

void Instance::sample_memory(std::int64_t now_ms, policies::TimePoint now) {
    std::optional<cgroup::MemoryStats> sampled;
    if (group_ && monitor_) {
        Result<cgroup::MemoryStats> stats = group_->memory();
        if (stats) {
            Result<std::vector<pid_t>> pids = context_.cgroups->procs(group_->name());
            const std::uint64_t written = pids ? written_bytes(*pids) : 0;
            act_on_memory(monitor_->sample(*stats, written, now_ms, now));
            sampled = *stats;
        } else {
            spdlog::debug("{}: {}", name_, stats.error().message());
        }
    }
    cooling_.sample(spec_->cooling, sampled ? &*sampled : nullptr, monitor_ ? monitor_->write_rate() : 0, now_ms, now);
}

void Instance::act_on_memory(const MemoryMonitor::Verdict& verdict) {
    if (verdict.action == MemoryMonitor::Action::none || !incarnation_) return;
    switch (verdict.action) {
        case MemoryMonitor::Action::none: break;
        case MemoryMonitor::Action::snapshot: {
            Result<std::vector<pid_t>> pids = context_.cgroups->procs(group_->name());
            int asked = 0;
            for (const pid_t pid : pids ? *pids : std::vector<pid_t>{}) {
                if (is_node_process(pid) && ::kill(pid, SIGUSR2) == 0) ++asked;
            }
            spdlog::warn("{}: {}: asked {} Node process(es) for a heap snapshot", name_, verdict.why, asked);
            break;
        }
        case MemoryMonitor::Action::restart:
            memory_limit_ = verdict.why;
            spdlog::warn("{}: {}: restarting it", name_, verdict.why);
            incarnation_->signal_group(spec_->stop.signal);
            uv_timer_start(kill_timer_.get(), on_kill_timeout, static_cast<uint64_t>(spec_->stop.timeout.count()), 0);
            break;
        case MemoryMonitor::Action::kill_thrashing:
            thrashing_ = verdict.why;
            spdlog::error("{}: thrashing: {}: killing it", name_, verdict.why);
            incarnation_->signal_group(SIGKILL);
            break;
    }
}

void Instance::on_kill_timeout(uv_timer_t* timer) {
    auto* self = static_cast<Instance*>(timer->data);
    if (self->incarnation_) self->incarnation_->signal_group(SIGKILL);
}

void Instance::on_stdout_lines(void* self, std::string_view lines) {
    auto* instance = static_cast<Instance*>(self);
    instance->context_.observer->on_output(*instance, "out", lines);
}

void Instance::on_stderr_lines(void* self, std::string_view lines) {
    auto* instance = static_cast<Instance*>(self);
    if (lines.find(kHeapOom) != std::string_view::npos) instance->heap_oom_on_stderr_ = true;
    instance->context_.observer->on_output(*instance, "err", lines);
}

void Instance::on_oom_event() {
    if (pending_exit_ && !policies::needs_more_evidence(evidence_for(pending_exit_->status))) conclude_exit();
}

void Instance::on_kernel_oom(pid_t pid, bool global, const std::string& killed_line, const std::string& report) {
    kernel_ooms_.push_back({pid, global, killed_line, report});
    if (pid == last_pid_) {
        spdlog::warn("{} [pid {}]: the kernel's {} OOM killer killed it", name_, pid, global ? "global" : "memory cgroup");
    } else {
        spdlog::warn("{}: the kernel's OOM killer killed process {} of its cgroup", name_, pid);
    }
    if (pending_exit_ && !policies::needs_more_evidence(evidence_for(pending_exit_->status))) conclude_exit();
}

void Instance::on_evidence_timeout(uv_timer_t* timer) { static_cast<Instance*>(timer->data)->conclude_exit(); }

policies::ExitEvidence Instance::evidence_for(const policies::ExitStatus& status) const {
    policies::ExitEvidence e;
    e.status = status;
    e.stop_requested = lifecycle_.state == policies::State::stopping;
    if (monitor_) {
        e.oom_kills_before = monitor_->oom_kills_at_start();
        Result<std::uint64_t> now = context_.cgroups->oom_kills(group_->name());
        e.oom_kills_after = now ? *now : e.oom_kills_before;
        e.oom_event = monitor_->oom_event_seen();
    }
    for (const KernelOom& oom : kernel_ooms_) {
        if (oom.pid != last_pid_) continue;
        e.kernel_killed_line = oom.killed_line;
        e.kernel_global = oom.global;
    }
    e.heap_oom_on_stderr = heap_oom_on_stderr_;
    e.stderr_open = stderr_capture_ != nullptr && !stderr_capture_->closed();
    e.thrashing = thrashing_;
    e.memory_limit = memory_limit_;
    return e;
}

void Instance::conclude_exit() {
    if (!pending_exit_) return;
    uv_timer_stop(evidence_timer_.get());
    const PendingExit exit = *pending_exit_;
    const policies::ExitEvidence evidence = evidence_for(exit.status);
    const policies::Classification classification = policies::classify_exit(evidence);
    LastExit last{classification.reason, exit.status, exit.ended_at, {}};
    if (policies::wants_postmortem(evidence)) last.postmortem = write_postmortem(classification, exit);
    last_exit_ = last;
    ++exits_by_reason_[std::string(policies::to_string(classification.reason))];
    pending_exit_.reset();

    std::string cause;
    switch (classification.reason) {
        case policies::ExitReason::exit_code:
        case policies::ExitReason::signal: break;  // describe(status) says it all
        case policies::ExitReason::oom_kill:
        case policies::ExitReason::oom_kill_global: cause = policies::explain(classification.reason); break;
        default: cause = std::string(policies::explain(classification.reason)) + ", " + policies::describe(exit.status);
    }
    handle({EventKind::gone, exit.status, std::move(cause)});
    if (quiet()) context_.observer->on_quiet(*this);
}

std::string Instance::write_postmortem(const policies::Classification& classification, const PendingExit& exit) {
    postmortem::BundleInput input;
    input.state_dir = context_.supervisor.state_dir;
    input.service = spec_->name;
    input.index = index_;
    input.pid = last_pid_;
    input.classification = classification;
    input.status = exit.status;
    input.started_at = started_wall_;
    input.ended_at = exit.ended_at;
    input.restarts = lifecycle_.restarts;
    input.limits = spec_->limits;
    for (const KernelOom& oom : kernel_ooms_) input.kernel_log += oom.report;
    if (group_) {
        Result<cgroup::MemoryStats> now = group_->memory();
        if (now) {
            input.peak = now->peak;
            input.max = now->max;
        }
        if (monitor_) {
            if (monitor_->last()) input.last = monitor_->last()->current;
            input.memory_stat = monitor_->stat_at_oom();
            input.memory_csv = monitor_->timeline().size() > 0 ? monitor_->timeline().to_csv() : std::string();
        }
        if (input.memory_stat.empty()) {
            if (Result<std::string> stat = context_.cgroups->memory_stat(group_->name())) input.memory_stat = *stat;
        }
    }
    input.stdout_log = out_log_.path();
    input.stderr_log = err_log_.path();
    if (spec_->node_diagnostics) input.diagnostics_dir = diagnostics_dir();
    Result<std::string> id = postmortem::write_bundle(input, context_.supervisor.postmortem);
    if (!id) {
        spdlog::error("{}: no post-mortem: {}", name_, id.error().message());
        return {};
    }
    spdlog::info("{}: post-mortem {} ({})", name_, *id, policies::explain(classification.reason));
    return *id;
}

}  // namespace corral::supervisor
