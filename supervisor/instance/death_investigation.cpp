#include "supervisor/instance/death_investigation.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/text_format.hpp"
#include "supervisor/instance/required_timer.hpp"
#include "supervisor/postmortem/bundle_writer.hpp"

namespace corral::supervisor {
namespace {

constexpr std::string_view kHeapOom = "JavaScript heap out of memory";

// The command name in the kernel's "Killed process 4242 (node) total-vm:..." line, or "?".
std::string command_in(const std::string& killed_line) {
    const std::size_t open = killed_line.find('(');
    const std::size_t close = open == std::string::npos ? open : killed_line.find(')', open);
    return close == std::string::npos ? "?" : killed_line.substr(open + 1, close - open - 1);
}

// What the lifecycle's log line says beyond describe(status).
std::string cause_of(const policies::Classification& classification, const policies::ExitStatus& status) {
    switch (classification.reason) {
        case policies::ExitReason::exit_code:
        case policies::ExitReason::signal: return {};
        case policies::ExitReason::oom_kill:
        case policies::ExitReason::oom_kill_global: return std::string(policies::explain(classification.reason));
        default: return std::string(policies::explain(classification.reason)) + ", " + policies::describe(status);
    }
}

}  // namespace

DeathInvestigation::DeathInvestigation(uv_loop_t* loop, Owner& owner, Setup setup)
    : owner_(owner), setup_(std::move(setup)), timer_(required_timer(loop, setup_.name, this)) {}

void DeathInvestigation::begin(pid_t pid, std::chrono::system_clock::time_point started_at,
                               const MemoryMonitor* memory) {
    previous_pid_ = pid_;
    pid_ = pid;
    started_at_ = started_at;
    memory_ = memory;
    kernel_ooms_.clear();
    heap_oom_on_stderr_ = false;
    thrashing_.reset();
    memory_limit_.reset();
    oom_kills_accounted_ = 0;
}

void DeathInvestigation::note_stderr(std::string_view lines) {
    if (lines.find(kHeapOom) != std::string_view::npos) heap_oom_on_stderr_ = true;
}

void DeathInvestigation::note_kernel_oom(pid_t pid, bool global, const std::string& killed_line,
                                         const std::string& report) {
    kernel_ooms_.push_back({pid, global, killed_line, report});
    if (pid == pid_) {
        spdlog::warn("{} [pid {}]: the kernel's {} OOM killer killed it", setup_.name, pid,
                     global ? "global" : "memory cgroup");
    } else {
        spdlog::warn("{}: the kernel's OOM killer killed process {} of its cgroup", setup_.name, pid);
        // The main process lives on (its own death would be under investigation): this kill is a death of
        // its own, with a bundle of its own now, and not evidence about a later exit of the instance.
        // (A late report about the previous incarnation's main process belongs to that death, concluded.)
        if (!pending_ && pid_ != 0 && pid != previous_pid_) {
            postmortem_of_survivor(kernel_ooms_.back());
            kernel_ooms_.pop_back();
            return;
        }
    }
    reconsider();
}

void DeathInvestigation::postmortem_of_survivor(const KernelOom& oom) {
    const std::string command = command_in(oom.killed_line);
    policies::Classification classification;
    classification.reason = oom.global ? policies::ExitReason::oom_kill_global : policies::ExitReason::oom_kill;
    classification.evidence = {"process " + std::to_string(oom.pid) + " (" + command + ") of the instance was killed; "
                                   "its main process (pid " + std::to_string(pid_) + ") survived and keeps running",
                               "kernel: " + oom.killed_line};
    if (memory_ != nullptr) {
        const Result<std::uint64_t> kills = memory_->oom_kills_now();
        const std::uint64_t before = std::max(memory_->oom_kills_at_start(), oom_kills_accounted_);
        if (kills && *kills > before) {
            classification.evidence.push_back("cgroup oom_kill counter: " + std::to_string(before) + " -> " +
                                              std::to_string(*kills));
            oom_kills_accounted_ = *kills;  // a later exit of the instance is judged on new kills only
        }
    }
    const PendingExit exit{policies::ExitStatus{0, SIGKILL, false}, std::chrono::system_clock::now()};
    const std::string id = write_postmortem(classification, exit, owner_.circumstances(), oom.pid, oom.report, 0);
    spdlog::warn("{}: process {} ({}) was OOM-killed; the instance keeps running{}", setup_.name, oom.pid, command,
                 id.empty() ? "" : "; post-mortem " + id);
}

void DeathInvestigation::note_thrashing(std::string why) { thrashing_ = std::move(why); }

void DeathInvestigation::note_memory_limit(std::string why) { memory_limit_ = std::move(why); }

void DeathInvestigation::exited(const policies::ExitStatus& status) {
    // The wall-clock time of the exit: as long before now as the exit was heard after it happened.
    const policies::TimePoint steady_now = policies::Clock::now();
    const auto late = status.ended_at != policies::TimePoint{} && status.ended_at < steady_now ? steady_now - status.ended_at
                                                                                                 : policies::Clock::duration{};
    pending_ = PendingExit{status, std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(late)};
    if (policies::needs_more_evidence(weigh(status, owner_.circumstances()))) {
        uv_timer_start(timer_.get(), on_timeout, static_cast<uint64_t>(policies::kEvidenceWait.count()), 0);
        return;
    }
    conclude();
}

bool DeathInvestigation::reconsider() {
    if (!pending_ || policies::needs_more_evidence(weigh(pending_->status, owner_.circumstances()))) return false;
    conclude();
    return true;
}

void DeathInvestigation::on_timeout(uv_timer_t* timer) { static_cast<DeathInvestigation*>(timer->data)->conclude(); }

policies::ExitEvidence DeathInvestigation::weigh(const policies::ExitStatus& status, const Circumstances& now) const {
    policies::ExitEvidence e;
    e.status = status;
    e.stop_requested = now.stop_requested;
    if (memory_ != nullptr) {
        e.oom_kills_before = std::max(memory_->oom_kills_at_start(), oom_kills_accounted_);
        Result<std::uint64_t> kills = memory_->oom_kills_now();
        e.oom_kills_after = kills ? *kills : e.oom_kills_before;
        e.oom_event = memory_->oom_event_seen() && oom_kills_accounted_ == 0;
    }
    for (const KernelOom& oom : kernel_ooms_) {
        if (oom.pid != pid_) continue;
        e.kernel_killed_line = oom.killed_line;
        e.kernel_global = oom.global;
    }
    e.heap_oom_on_stderr = heap_oom_on_stderr_;
    e.stderr_open = now.stderr_open;
    e.thrashing = thrashing_;
    e.memory_limit = memory_limit_;
    return e;
}

void DeathInvestigation::conclude() {
    if (!pending_) return;
    uv_timer_stop(timer_.get());
    const PendingExit exit = *pending_;
    const Circumstances now = owner_.circumstances();
    const policies::ExitEvidence evidence = weigh(exit.status, now);
    Conclusion conclusion{policies::classify_exit(evidence), exit.status, {}};
    const policies::ExitReason reason = conclusion.classification.reason;
    LastExit last{reason, exit.status, exit.ended_at, {}, {}, 0};
    if (policies::wants_postmortem(evidence)) keep_postmortem(conclusion.classification, exit, now, last);
    last_exit_ = last;
    ++exits_by_reason_[std::string(policies::to_string(reason))];
    pending_.reset();
    conclusion.cause = cause_of(conclusion.classification, exit.status);
    owner_.on_death_concluded(conclusion);
}

// One bundle per window and kind of death; the deaths in between are counted (and the first of them says
// so in the log, once per window).
void DeathInvestigation::keep_postmortem(const policies::Classification& classification, const PendingExit& exit,
                                         const Circumstances& now, LastExit& last) {
    const policies::PostmortemChoice choice = policies::choose_postmortem(
        window_, classification.reason, policies::Clock::now(), setup_.retention.window);
    window_ = choice.next;
    std::string& window_bundle = window_bundles_[policies::is_memory_death(classification.reason) ? 0 : 1];
    if (choice.write) {
        std::string kernel_log;
        for (const KernelOom& oom : kernel_ooms_) kernel_log += oom.report;
        last.postmortem = write_postmortem(classification, exit, now, pid_, kernel_log, choice.counted);
        window_bundle = last.postmortem;
        return;
    }
    ++postmortems_skipped_;
    last.window_postmortem = window_bundle;
    last.counted_in_window = choice.counted;
    if (choice.counted == 1) {
        spdlog::info("{}: dying again within {}: deaths are counted, not bundled, until the window is over ({})",
                     setup_.name, format_period(setup_.retention.window),
                     window_bundle.empty() ? "no bundle" : "post-mortem " + window_bundle + " has the first");
    }
}

std::string DeathInvestigation::write_postmortem(const policies::Classification& classification,
                                                 const PendingExit& exit, const Circumstances& now, pid_t pid,
                                                 const std::string& kernel_log, unsigned not_bundled) const {
    postmortem::BundleInput input;
    input.state_dir = setup_.state_dir;
    input.service = setup_.service;
    input.index = setup_.index;
    input.pid = pid;
    input.classification = classification;
    input.status = exit.status;
    input.started_at = started_at_;
    input.ended_at = exit.ended_at;
    input.restarts = now.restarts;
    input.deaths_not_bundled = not_bundled;
    input.limits = now.limits;
    input.kernel_log = kernel_log;
    add_memory(input);
    input.stdout_log = setup_.stdout_log;
    input.stderr_log = setup_.stderr_log;
    input.diagnostics_dir = now.diagnostics_dir;
    Result<std::string> id = postmortem::write_bundle(input, setup_.retention);
    if (!id) {
        postmortem::log_bundle_failure(setup_.name, id.error());
        return {};
    }
    postmortem::log_bundle_written();
    if (not_bundled > 0) {
        spdlog::info("{}: post-mortem {} ({}; {} earlier death(s) of this kind were counted, not bundled)", setup_.name,
                     *id, policies::explain(classification.reason), not_bundled);
    } else {
        spdlog::info("{}: post-mortem {} ({})", setup_.name, *id, policies::explain(classification.reason));
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
