// DeathInvestigation: its post-mortem bundles. What a bundle needs from the cgroup and the diagnostics
// directory is taken at the death; the writing waits for the next turn of the loop, after the next
// incarnation has been started.
#include <spdlog/spdlog.h>

#include "base/file_text.hpp"
#include "supervisor/instance/death_investigation.hpp"
#include "supervisor/postmortem/bundle_format.hpp"

namespace corral::supervisor {

postmortem::BundleInput DeathInvestigation::take_for_bundle(const PendingExit& exit, const Circumstances& now,
                                                            bool later) const {
    postmortem::BundleInput input;
    input.state_dir = setup_.state_dir;
    input.service = setup_.service;
    input.index = setup_.index;
    input.pid = exit.evidence.pid;
    input.status = exit.status;
    input.started_at = exit.evidence.started_at;
    input.ended_at = exit.ended_at;
    input.restarts = now.restarts;
    input.limits = now.limits;
    for (const KernelOom& oom : exit.evidence.kernel_ooms) input.kernel_log += oom.report;
    add_memory(input);
    input.stdout_log = setup_.stdout_log;
    input.stderr_log = setup_.stderr_log;
    input.diagnostics_dir = now.diagnostics_dir;
    if (!later) return input;
    // Written later: the logs' tails as they are now, before the next incarnation writes to them.
    input.stdout_tail = tail_lines(setup_.stdout_log, postmortem::kTailLines);
    input.stderr_tail = tail_lines(setup_.stderr_log, postmortem::kTailLines);
    if (now.diagnostics_dir.empty()) return input;
    // The next incarnation starts with an empty diagnostics directory: this death's files move aside.
    const std::filesystem::path aside = now.diagnostics_dir.string() + ".dead-" + std::to_string(exit.evidence.pid);
    std::error_code moved;
    std::filesystem::rename(now.diagnostics_dir, aside, moved);
    input.diagnostics_dir = moved ? std::filesystem::path() : aside;
    return input;
}

void DeathInvestigation::write_later(postmortem::BundleInput input, unsigned death, bool memory_kind,
                                     unsigned not_bundled) {
    unwritten_.push_back({std::move(input), death, memory_kind, not_bundled});
    uv_timer_start(write_timer_.get(), on_write, 0, 0);
}

void DeathInvestigation::on_write(uv_timer_t* timer) {
    auto* self = static_cast<DeathInvestigation*>(timer->data);
    self->write_unwritten();
    if (!self->open()) self->owner_.on_investigation_settled();
}

void DeathInvestigation::write_unwritten() {
    std::vector<Unwritten> bundles = std::move(unwritten_);
    unwritten_.clear();
    for (Unwritten& bundle : bundles) {
        const std::string id = write_postmortem(bundle.input, bundle.not_bundled);
        if (!bundle.input.diagnostics_dir.empty()) {  // set aside by take_for_bundle; what is left of it goes
            std::error_code removed;
            std::filesystem::remove_all(bundle.input.diagnostics_dir, removed);
        }
        window_bundles_[bundle.memory_kind ? 0 : 1] = id;
        if (!last_exit_) continue;
        if (last_exit_death_ == bundle.death) {
            last_exit_->postmortem = id;
        } else if (last_exit_->counted_in_window > 0 && last_exit_->window_postmortem.empty() &&
                   policies::is_memory_death(last_exit_->reason) == bundle.memory_kind) {
            last_exit_->window_postmortem = id;  // a death counted in the window this bundle opened
        }
    }
}

std::string DeathInvestigation::write_postmortem(const postmortem::BundleInput& input, unsigned not_bundled) const {
    Result<std::string> id = postmortem::write_bundle(input, setup_.retention);
    if (!id) {
        postmortem::log_bundle_failure(setup_.name, id.error());
        return {};
    }
    postmortem::log_bundle_written();
    const std::string_view why = policies::explain(input.classification.reason);
    if (not_bundled > 0) {
        spdlog::info("{}: post-mortem {} ({}; {} earlier death(s) of this kind were counted, not bundled)", setup_.name,
                     *id, why, not_bundled);
    } else {
        spdlog::info("{}: post-mortem {} ({})", setup_.name, *id, why);
    }
    return *id;
}

// The memory of the cgroup: its peak and limit now, the last sample, memory.stat (as read when it ran out
// of memory, else now) and the timeline of samples.
void DeathInvestigation::add_memory(postmortem::BundleInput& input) const {
    if (memory_ == nullptr) return;
    // One more sample, taken now: a bundle has the samples there are, even of an incarnation that lived
    // less than one sample interval.
    MemoryTimeline timeline = memory_->timeline();
    if (Result<cgroup::MemoryStats> now = memory_->memory_now()) {
        input.peak = now->peak;
        input.max = now->max;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        timeline.add(ms.count(), *now, memory_->write_rate());
    }
    if (memory_->last()) input.last = memory_->last()->current;
    input.memory_stat = memory_->stat_at_oom();
    input.memory_csv = timeline.size() > 0 ? timeline.to_csv() : std::string();
    if (input.memory_stat.empty()) {
        if (Result<std::string> stat = memory_->memory_stat_now()) input.memory_stat = *stat;
    }
}

}  // namespace corral::supervisor
