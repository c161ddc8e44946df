#pragma once
// The death investigation of one instance: the road from an incarnation's exit to the lifecycle's `gone`.
// While the incarnation runs, and just after it exits, it gathers the evidence of a memory death: the
// kernel's OOM reports, V8's "JavaScript heap out of memory" on stderr, corral's own kills for thrashing
// and memory.restart_at, and the cgroup's oom_kill counter and OOM event (read from the MemoryMonitor).
// At the exit it waits, at most policies::kEvidenceWait, for evidence still on its way (the SIGKILL of an
// OOM kill can outrun the counter and the kernel's report; V8's last words can still be in the stderr
// pipe), classifies the death (policies::classify_exit), writes the post-mortem bundle (all but a clean
// requested stop get one; a crash loop one per postmortem.window, policies::choose_postmortem, the rest
// are counted), remembers the last exit and counts exits by reason, and tells its owner.
//
// A process of the cgroup other than the main one (a worker's child) that the kernel OOM-kills while the
// main process runs gets a bundle of its own at once (reason oom-kill, its pid and command), and the
// instance goes on; that kill is then no evidence about the instance's own later exit (a requested stop
// after it stays a clean stop, without a bundle).
//
// Ownership: the Instance owns one for its whole life. It owns its evidence and its timer. The
// MemoryMonitor given to begin() belongs to the instance and outlives every incarnation. The owner hears
// on_death_concluded() once per exit, after open() is false again; it may start the next incarnation
// from inside that call.
#include <sys/types.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/uv_handle.hpp"
#include "policies/exit_classification.hpp"
#include "policies/postmortem_window.hpp"
#include "supervisor/cgroup/limits.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/instance/memory_monitor.hpp"

namespace corral::supervisor {

namespace postmortem {
struct BundleInput;
}

// How the latest incarnation ended, for status.
struct LastExit {
    policies::ExitReason reason = policies::ExitReason::exit_code;
    policies::ExitStatus status;
    std::chrono::system_clock::time_point at;
    std::string postmortem;  // bundle id, "" when none was written
    // A death of a crash loop that was counted instead of bundled: the bundle of its window and the
    // deaths counted in that window so far (this one included); "" and 0 otherwise.
    std::string window_postmortem;
    unsigned counted_in_window = 0;
};

class DeathInvestigation {
public:
    // What the instance says about itself whenever the evidence is weighed: it can change while the
    // investigation waits (a stop asked for meanwhile, stderr reaching EOF, a reload).
    struct Circumstances {
        bool stop_requested = false;  // the user (or a reload) asked for this stop
        bool stderr_open = false;     // the incarnation's stderr has not reached EOF
        unsigned restarts = 0;
        cgroup::Limits limits;
        std::filesystem::path diagnostics_dir;  // Node's reports and heap snapshots; "" for none
    };

    struct Conclusion {
        policies::Classification classification;
        policies::ExitStatus status;
        std::string cause;  // for the lifecycle's log line; "" when describe(status) says it all
    };

    class Owner {
    public:
        virtual Circumstances circumstances() const = 0;
        virtual void on_death_concluded(const Conclusion& conclusion) = 0;

    protected:
        ~Owner() = default;
    };

    // Who the instance is and where its post-mortems and logs go; fixed for its life.
    struct Setup {
        std::string name;  // "api#0", for log lines
        std::string service;
        unsigned index = 0;
        std::filesystem::path state_dir;
        config::PostmortemSpec retention;
        std::filesystem::path stdout_log;
        std::filesystem::path stderr_log;
    };

    DeathInvestigation(uv_loop_t* loop, Owner& owner, Setup setup);
    DeathInvestigation(const DeathInvestigation&) = delete;
    DeathInvestigation& operator=(const DeathInvestigation&) = delete;

    // A new incarnation runs as `pid`: the evidence about the last one is dropped. `memory` watches the
    // instance's cgroup; null without one.
    void begin(pid_t pid, std::chrono::system_clock::time_point started_at, const MemoryMonitor* memory);

    // Evidence, as it comes (a kernel report can come just before or just after the exit).
    void note_stderr(std::string_view lines);
    void note_kernel_oom(pid_t pid, bool global, const std::string& killed_line, const std::string& report);
    void note_thrashing(std::string why);     // corral is killing it for thrashing: the measurement
    void note_memory_limit(std::string why);  // corral is restarting it at memory.restart_at

    // The incarnation is gone: concludes now, or when the evidence is in, or after kEvidenceWait.
    void exited(const policies::ExitStatus& status);
    // Something the evidence depends on changed (stderr closed, the cgroup reported an OOM); concludes
    // an open investigation if it now can. True when it concluded.
    bool reconsider();
    // An exit waits for its verdict.
    bool open() const { return pending_.has_value(); }

    const std::optional<LastExit>& last_exit() const { return last_exit_; }
    const std::map<std::string, unsigned>& exits_by_reason() const { return exits_by_reason_; }
    // Deaths that were counted instead of bundled, over the instance's life.
    unsigned postmortems_skipped() const { return postmortems_skipped_; }

private:
    struct KernelOom {
        pid_t pid = 0;
        bool global = false;
        std::string killed_line;
        std::string report;
    };
    struct PendingExit {
        policies::ExitStatus status;
        std::chrono::system_clock::time_point ended_at;
    };

    static void on_timeout(uv_timer_t* timer);
    policies::ExitEvidence weigh(const policies::ExitStatus& status, const Circumstances& now) const;
    void conclude();
    void keep_postmortem(const policies::Classification& classification, const PendingExit& exit,
                         const Circumstances& now, LastExit& last);
    std::string write_postmortem(const policies::Classification& classification, const PendingExit& exit,
                                 const Circumstances& now, pid_t pid, const std::string& kernel_log,
                                 unsigned not_bundled) const;
    void postmortem_of_survivor(const KernelOom& oom);
    void add_memory(postmortem::BundleInput& input) const;

    Owner& owner_;
    Setup setup_;
    pid_t pid_ = 0;
    pid_t previous_pid_ = 0;
    std::chrono::system_clock::time_point started_at_;
    const MemoryMonitor* memory_ = nullptr;
    std::vector<KernelOom> kernel_ooms_;
    bool heap_oom_on_stderr_ = false;
    std::optional<std::string> thrashing_;
    std::optional<std::string> memory_limit_;
    std::uint64_t oom_kills_accounted_ = 0;  // the cgroup's oom_kill count after the last survivor's bundle
    std::optional<PendingExit> pending_;
    UvHandle<uv_timer_t> timer_;
    std::optional<LastExit> last_exit_;
    std::map<std::string, unsigned> exits_by_reason_;
    policies::PostmortemWindow window_;
    std::string window_bundles_[2];  // the bundle that opened each window: [0] memory deaths, [1] others
    unsigned postmortems_skipped_ = 0;
};

}  // namespace corral::supervisor
