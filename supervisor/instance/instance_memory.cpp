// Instance: the memory watch of its cgroup, and what is done about it (heap snapshots, a restart at
// memory.restart_at, a kill for thrashing); the stderr line hook that looks for V8's last words.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <system_error>

#include "base/instance_name.hpp"
#include "base/process_info.hpp"
#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

using policies::EventKind;

namespace {

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
            death_.note_memory_limit(verdict.why);
            spdlog::warn("{}: {}: restarting it", name_, verdict.why);
            incarnation_->signal_group(spec_->stop.signal);
            uv_timer_start(kill_timer_.get(), on_kill_timeout, static_cast<uint64_t>(spec_->stop.timeout.count()), 0);
            break;
        case MemoryMonitor::Action::kill_thrashing:
            death_.note_thrashing(verdict.why);
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
    instance->death_.note_stderr(lines);
    instance->context_.observer->on_output(*instance, "err", lines);
}

}  // namespace corral::supervisor
