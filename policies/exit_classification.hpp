#pragma once
// Why an instance died, from the evidence gathered around its exit. The SIGKILL of an OOM kill and the
// evidence (the cgroup's oom_kill counter, the kernel's report) arrive separately and in no fixed order:
// needs_more_evidence() says when to wait a little (kEvidenceWait) before classify() decides.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/clock.hpp"
#include "policies/exit_status.hpp"

namespace corral::policies {

enum class ExitReason { oom_kill, oom_kill_global, v8_heap_oom, thrashing, memory_limit, signal, exit_code, hung };

std::string_view to_string(ExitReason reason);  // "oom-kill", "oom-kill-global", ...
std::optional<ExitReason> exit_reason_from(std::string_view text);
// "killed by the kernel's OOM killer (memory cgroup out of memory)", ...
std::string_view explain(ExitReason reason);

inline constexpr Duration kEvidenceWait{100};

struct ExitEvidence {
    ExitStatus status;
    bool stop_requested = false;       // the user (or a reload) asked for this stop
    std::uint64_t oom_kills_before = 0;  // the cgroup's oom_kill counter when the incarnation started
    std::uint64_t oom_kills_after = 0;   // ... and now
    bool oom_event = false;              // the cgroup reported an OOM while the incarnation ran
    std::optional<std::string> kernel_killed_line;  // the kernel's "Killed process <our pid>" record
    bool kernel_global = false;          // ... from the global OOM killer
    bool heap_oom_on_stderr = false;     // "JavaScript heap out of memory" on the instance's stderr
    bool stderr_open = false;            // its stderr has not reached EOF yet: the message may be on its way
    std::optional<std::string> thrashing;     // corral killed it for thrashing: the measurement
    std::optional<std::string> memory_limit;  // corral restarted it at memory.restart_at: the measurement
    // corral killed it as hung (liveness): how long its event loop was blocked, then what became of its
    // JavaScript stack; empty: not hung.
    std::vector<std::string> hung;
};

struct Classification {
    ExitReason reason = ExitReason::exit_code;
    std::vector<std::string> evidence;  // one line each, for the post-mortem and the log
};

// A SIGKILL that corral did not send itself, with no OOM evidence yet: the counter or the kernel's
// record may still be on their way. An abort whose stderr is still being read: V8's last words may be.
bool needs_more_evidence(const ExitEvidence& evidence);

// A death whose evidence is still on its way but whose restart need not wait for it: a SIGKILL corral did
// not send. Its restart depends on the exit status alone (lifecycle.hpp), so the instance restarts at once
// and the classification follows (an abort waits: its stderr reaches EOF within milliseconds).
bool restarts_before_evidence(const ExitEvidence& evidence);

Classification classify_exit(const ExitEvidence& evidence);

// A clean requested stop is the one death that gets no post-mortem (an OOM kill while stopping is not
// clean: the kernel's report names the main process, or it died by SIGKILL with the counter moved).
bool wants_postmortem(const ExitEvidence& evidence);

}  // namespace corral::policies
