#include "policies/exit_classification.hpp"

#include <csignal>

#include "policies/signal_names.hpp"

namespace corral::policies {

std::string_view to_string(ExitReason reason) {
    switch (reason) {
        case ExitReason::oom_kill: return "oom-kill";
        case ExitReason::oom_kill_global: return "oom-kill-global";
        case ExitReason::v8_heap_oom: return "v8-heap-oom";
        case ExitReason::thrashing: return "thrashing";
        case ExitReason::memory_limit: return "memory-limit";
        case ExitReason::signal: return "signal";
        case ExitReason::exit_code: return "exit-code";
        case ExitReason::hung: return "hung";
    }
    return "?";
}

std::string_view explain(ExitReason reason) {
    switch (reason) {
        case ExitReason::oom_kill: return "killed by the kernel's OOM killer (memory cgroup out of memory)";
        case ExitReason::oom_kill_global: return "killed by the kernel's OOM killer (the whole machine ran out of memory)";
        case ExitReason::v8_heap_oom: return "Node's V8 heap hit its limit (JavaScript heap out of memory)";
        case ExitReason::thrashing: return "killed by corral: memory pressure stayed above memory.thrashing for its window";
        case ExitReason::memory_limit: return "restarted by corral: its memory reached memory.restart_at";
        case ExitReason::signal: return "killed by a signal";
        case ExitReason::exit_code: return "exited";
        case ExitReason::hung: return "killed by corral: its event loop stopped turning for liveness.event_loop";
    }
    return "?";
}

std::optional<ExitReason> exit_reason_from(std::string_view text) {
    for (const ExitReason reason : {ExitReason::oom_kill, ExitReason::oom_kill_global, ExitReason::v8_heap_oom,
                                    ExitReason::thrashing, ExitReason::memory_limit, ExitReason::signal,
                                    ExitReason::exit_code, ExitReason::hung}) {
        if (to_string(reason) == text) return reason;
    }
    return std::nullopt;
}

namespace {

bool oom_counter_moved(const ExitEvidence& e) { return e.oom_kills_after > e.oom_kills_before; }

}  // namespace

bool needs_more_evidence(const ExitEvidence& e) {
    const bool aborted = e.status.signal == SIGABRT || (e.status.signal == 0 && e.status.code == 128 + SIGABRT);
    if (aborted) return e.stderr_open && !e.heap_oom_on_stderr;
    return e.status.signal == SIGKILL && !e.stop_requested && !e.thrashing && !e.memory_limit && e.hung.empty() &&
           !oom_counter_moved(e) && !e.kernel_killed_line;
}

bool restarts_before_evidence(const ExitEvidence& e) { return needs_more_evidence(e) && e.status.signal == SIGKILL; }

// A requested stop that the stop signal (or a clean exit) ended was not an OOM kill of the main process,
// even when the cgroup's counter moved: another process of the group was killed, which has its own bundle.
bool wants_postmortem(const ExitEvidence& e) {
    return !e.stop_requested || e.kernel_killed_line.has_value() || (oom_counter_moved(e) && e.status.signal == SIGKILL);
}

Classification classify_exit(const ExitEvidence& e) {
    Classification result;
    auto& evidence = result.evidence;
    if (oom_counter_moved(e)) {
        evidence.push_back("cgroup oom_kill counter: " + std::to_string(e.oom_kills_before) + " -> " +
                           std::to_string(e.oom_kills_after));
    } else if (e.oom_event) {
        evidence.push_back("the cgroup reported an out-of-memory event");
    }
    if (e.kernel_killed_line) evidence.push_back("kernel: " + *e.kernel_killed_line);
    evidence.push_back(describe(e.status));

    if (!e.hung.empty()) {
        result.reason = ExitReason::hung;
        evidence.insert(evidence.begin(), e.hung.begin(), e.hung.end());
    } else if (e.thrashing) {
        result.reason = ExitReason::thrashing;
        evidence.insert(evidence.begin(), *e.thrashing);
    } else if (e.memory_limit) {
        result.reason = ExitReason::memory_limit;
        evidence.insert(evidence.begin(), *e.memory_limit);
    } else if (e.kernel_killed_line && e.kernel_global) {
        result.reason = ExitReason::oom_kill_global;
    } else if (e.kernel_killed_line || (oom_counter_moved(e) && e.status.signal == SIGKILL)) {
        result.reason = ExitReason::oom_kill;
    } else if ((e.status.signal == SIGABRT || e.status.code == 128 + SIGABRT) && e.heap_oom_on_stderr) {
        result.reason = ExitReason::v8_heap_oom;
        evidence.insert(evidence.begin(), "stderr: FATAL ERROR: ... JavaScript heap out of memory");
    } else if (e.status.signal != 0 || e.status.spawn_failed) {
        result.reason = e.status.spawn_failed ? ExitReason::exit_code : ExitReason::signal;
    } else {
        result.reason = ExitReason::exit_code;
    }
    return result;
}

}  // namespace corral::policies
