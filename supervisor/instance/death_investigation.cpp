#include "supervisor/instance/death_investigation.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

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
        case policies::ExitReason::hung: return "hung: " + classification.evidence.front();
        default: return std::string(policies::explain(classification.reason)) + ", " + policies::describe(status);
    }
}

}  // namespace

DeathInvestigation::DeathInvestigation(uv_loop_t* loop, Owner& owner, Setup setup)
    : loop_(loop),
      owner_(owner),
      setup_(std::move(setup)),
      timer_(required_timer(loop, setup_.name, this)),
      write_timer_(required_timer(loop, setup_.name, this)) {}

// A bundle not yet written is written now: the instance is going, its deaths still get their post-mortems.
DeathInvestigation::~DeathInvestigation() { write_unwritten(); }

void DeathInvestigation::begin(pid_t pid, std::chrono::system_clock::time_point started_at,
                               const MemoryMonitor* memory) {
    if (current_.pid != 0) previous_pid_ = current_.pid;
    current_ = Evidence{};
    current_.pid = pid;
    current_.started_at = started_at;
    memory_ = memory;
    if (pending_) pending_->superseded = true;
}

void DeathInvestigation::note_stderr(std::string_view lines) {
    if (lines.find(kHeapOom) == std::string_view::npos) return;
    // Until a new incarnation runs, what reaches stderr is the dead one's last words.
    (pending_ && !pending_->superseded ? pending_->evidence : current_).heap_oom_on_stderr = true;
}

void DeathInvestigation::note_kernel_oom(pid_t pid, bool global, const std::string& killed_line,
                                         const std::string& report) {
    const KernelOom oom{pid, global, killed_line, report};
    const bool main = pid == current_.pid || (pending_ && pid == pending_->evidence.pid);
    if (main) {
        spdlog::warn("{} [pid {}]: the kernel's {} OOM killer killed it", setup_.name, pid,
                     global ? "global" : "memory cgroup");
    } else {
        spdlog::warn("{}: the kernel's OOM killer killed process {} of its cgroup", setup_.name, pid);
    }
    if (pending_ && (pid == pending_->evidence.pid || pid != current_.pid)) {
        // About the death under investigation: its main process, or another of its processes (kept for
        // the bundle's kernel log).
        pending_->evidence.kernel_ooms.push_back(oom);
        reconsider();
        return;
    }
    if (pid == current_.pid) {
        current_.kernel_ooms.push_back(oom);  // its exit is on its way
        return;
    }
    // The main process lives on (its own death would be under investigation): this kill is a death of its
    // own, with a bundle of its own now, and not evidence about a later exit of the instance. (A late
    // report about the previous incarnation's main process belongs to that death, concluded.)
    if (current_.pid != 0 && pid != previous_pid_) postmortem_of_survivor(oom);
}

void DeathInvestigation::postmortem_of_survivor(const KernelOom& oom) {
    const std::string command = command_in(oom.killed_line);
    policies::Classification classification;
    classification.reason = oom.global ? policies::ExitReason::oom_kill_global : policies::ExitReason::oom_kill;
    classification.evidence = {"process " + std::to_string(oom.pid) + " (" + command + ") of the instance was killed; "
                                   "its main process (pid " + std::to_string(current_.pid) + ") survived and keeps running",
                               "kernel: " + oom.killed_line};
    if (memory_ != nullptr) {
        const Result<std::uint64_t> kills = memory_->oom_kills_now();
        const std::uint64_t before = std::max(memory_->oom_kills_at_start(), current_.oom_kills_accounted);
        if (kills && *kills > before) {
            classification.evidence.push_back("cgroup oom_kill counter: " + std::to_string(before) + " -> " +
                                              std::to_string(*kills));
            current_.oom_kills_accounted = *kills;  // a later exit of the instance is judged on new kills only
        }
    }
    PendingExit exit;
    exit.status = policies::ExitStatus{0, SIGKILL, false};
    exit.ended_at = std::chrono::system_clock::now();
    exit.evidence.pid = oom.pid;
    exit.evidence.started_at = current_.started_at;
    exit.evidence.kernel_ooms.push_back(oom);
    postmortem::BundleInput input = take_for_bundle(exit, owner_.circumstances(), false);
    input.classification = std::move(classification);
    const std::string id = write_postmortem(input, 0);
    spdlog::warn("{}: process {} ({}) was OOM-killed; the instance keeps running{}", setup_.name, oom.pid, command,
                 id.empty() ? "" : "; post-mortem " + id);
}

void DeathInvestigation::note_thrashing(std::string why) { current_.thrashing = std::move(why); }

void DeathInvestigation::note_memory_limit(std::string why) { current_.memory_limit = std::move(why); }

void DeathInvestigation::note_hung(std::vector<std::string> evidence) { current_.hung = std::move(evidence); }

void DeathInvestigation::exited(const policies::ExitStatus& status) {
    // A death still under investigation when the next incarnation died too is concluded with what it has.
    if (pending_) conclude();
    // The wall-clock time of the exit: as long before now as the exit was heard after it happened.
    const policies::TimePoint steady_now = policies::Clock::now();
    const auto late = status.ended_at != policies::TimePoint{} && status.ended_at < steady_now ? steady_now - status.ended_at
                                                                                                 : policies::Clock::duration{};
    PendingExit exit;
    exit.status = status;
    exit.ended_at = std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(late);
    exit.evidence = std::exchange(current_, Evidence{});
    exit.death = ++deaths_;
    if (memory_ != nullptr) {
        exit.oom_kills_before = std::max(memory_->oom_kills_at_start(), exit.evidence.oom_kills_accounted);
        exit.oom_event = memory_->oom_event_seen() && exit.evidence.oom_kills_accounted == 0;
    }
    pending_ = std::move(exit);
    const policies::ExitEvidence evidence = weigh(*pending_, owner_.circumstances());
    if (!policies::needs_more_evidence(evidence)) {
        conclude();
        return;
    }
    uv_timer_start(timer_.get(), on_timeout, static_cast<uint64_t>(policies::kEvidenceWait.count()), 0);
    if (policies::restarts_before_evidence(evidence)) tell_at_once(evidence);
}

// The owner hears now what is known; what the bundle will need is taken before a new incarnation can
// change it.
void DeathInvestigation::tell_at_once(const policies::ExitEvidence& evidence) {
    PendingExit& exit = *pending_;
    exit.told = owner_.circumstances();
    // In a crash loop whose deaths are counted, whatever the verdict, there is no bundle to take for.
    const policies::TimePoint now = policies::Clock::now();
    const auto would_write = [&](policies::ExitReason reason) {
        return policies::choose_postmortem(window_, reason, now, setup_.retention.window).write;
    };
    if (would_write(policies::ExitReason::signal) || would_write(policies::ExitReason::oom_kill)) {
        exit.taken = take_for_bundle(exit, *exit.told, true);
    }
    const policies::Classification known = policies::classify_exit(evidence);
    last_exit_ = LastExit{known.reason, exit.status, exit.ended_at, {}, {}, 0};
    last_exit_death_ = exit.death;
    owner_.on_death_concluded({known, exit.status, cause_of(known, exit.status), true});
}

bool DeathInvestigation::counting_deaths() const {
    if (pending_ && pending_->told) return window_.other.counted > 0 || window_.memory.counted > 0;
    return last_exit_ && last_exit_->counted_in_window > 0;
}

bool DeathInvestigation::reconsider() {
    if (!pending_) return false;
    const Circumstances now = pending_->told ? *pending_->told : owner_.circumstances();
    if (policies::needs_more_evidence(weigh(*pending_, now))) return false;
    conclude();
    return true;
}

void DeathInvestigation::on_timeout(uv_timer_t* timer) { static_cast<DeathInvestigation*>(timer->data)->conclude(); }

policies::ExitEvidence DeathInvestigation::weigh(const PendingExit& exit, const Circumstances& now) const {
    policies::ExitEvidence e;
    e.status = exit.status;
    e.stop_requested = now.stop_requested;
    if (memory_ != nullptr) {
        e.oom_kills_before = exit.oom_kills_before;
        Result<std::uint64_t> kills = memory_->oom_kills_now();
        e.oom_kills_after = kills ? std::max(*kills, e.oom_kills_before) : e.oom_kills_before;
        e.oom_event = exit.oom_event ||
                      (!exit.superseded && memory_->oom_event_seen() && exit.evidence.oom_kills_accounted == 0);
    }
    for (const KernelOom& oom : exit.evidence.kernel_ooms) {
        if (oom.pid != exit.evidence.pid) continue;
        e.kernel_killed_line = oom.killed_line;
        e.kernel_global = oom.global;
    }
    e.heap_oom_on_stderr = exit.evidence.heap_oom_on_stderr;
    e.stderr_open = now.stderr_open;
    e.thrashing = exit.evidence.thrashing;
    e.memory_limit = exit.evidence.memory_limit;
    e.hung = exit.evidence.hung;
    return e;
}

void DeathInvestigation::conclude() {
    if (!pending_) return;
    uv_timer_stop(timer_.get());
    PendingExit exit = std::move(*pending_);
    pending_.reset();
    const Circumstances now = exit.told ? *exit.told : owner_.circumstances();
    const policies::ExitEvidence evidence = weigh(exit, now);
    Conclusion conclusion{policies::classify_exit(evidence), exit.status, {}, false};
    const policies::ExitReason reason = conclusion.classification.reason;
    LastExit last{reason, exit.status, exit.ended_at, {}, {}, 0};
    if (policies::wants_postmortem(evidence)) keep_postmortem(conclusion.classification, exit, now, last);
    if (exit.taken && !exit.taken->diagnostics_dir.empty()) {  // taken for a bundle that is not written
        std::error_code removed;
        std::filesystem::remove_all(exit.taken->diagnostics_dir, removed);
    }
    // The kills counted for this death are no evidence about the next incarnation's.
    if (exit.superseded && evidence.oom_kills_after > evidence.oom_kills_before) {
        current_.oom_kills_accounted = std::max(current_.oom_kills_accounted, evidence.oom_kills_after);
    }
    previous_pid_ = exit.evidence.pid;
    ++exits_by_reason_[std::string(policies::to_string(reason))];
    conclusion.cause = cause_of(conclusion.classification, exit.status);
    if (!exit.told) {
        last_exit_ = last;
        last_exit_death_ = exit.death;
        owner_.on_death_concluded(conclusion);
        return;
    }
    // The owner heard of this death at the exit; the dead incarnation's record gets the verdict.
    if (last_exit_death_ == exit.death) last_exit_ = last;
    if (reason != policies::ExitReason::signal) {
        spdlog::warn("{} [pid {}]: its death was {} (the evidence came after the restart)", setup_.name,
                     exit.evidence.pid, conclusion.cause.empty() ? policies::describe(exit.status) : conclusion.cause);
    }
    if (!open()) owner_.on_investigation_settled();
}

// One bundle per window and kind of death; the deaths in between are counted (and the first of them says
// so in the log, once per window). The bundle is written on the next turn of the loop.
void DeathInvestigation::keep_postmortem(const policies::Classification& classification, PendingExit& exit,
                                         const Circumstances& now, LastExit& last) {
    const policies::PostmortemChoice choice = policies::choose_postmortem(
        window_, classification.reason, policies::Clock::now(), setup_.retention.window);
    window_ = choice.next;
    const bool memory_kind = policies::is_memory_death(classification.reason);
    const std::string& window_bundle = window_bundles_[memory_kind ? 0 : 1];
    if (choice.write) {
        postmortem::BundleInput input = exit.taken ? std::move(*exit.taken) : take_for_bundle(exit, now, true);
        exit.taken.reset();
        input.classification = classification;
        input.deaths_not_bundled = choice.counted;
        input.kernel_log.clear();  // the kernel's reports that came after the exit too
        for (const KernelOom& oom : exit.evidence.kernel_ooms) input.kernel_log += oom.report;
        write_later(std::move(input), exit.death, memory_kind, choice.counted);
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

}  // namespace corral::supervisor
