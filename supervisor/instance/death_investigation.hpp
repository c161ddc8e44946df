#pragma once
// The death investigation of one instance: the road from an incarnation's exit to the lifecycle's `gone`.
// While the incarnation runs, and just after it exits, it gathers the evidence of a memory death: the
// kernel's OOM reports, V8's "JavaScript heap out of memory" on stderr, corral's own kills for thrashing
// and memory.restart_at, and the cgroup's oom_kill counter and OOM event (read from the MemoryMonitor).
// At the exit it classifies the death (policies::classify_exit), remembers the last exit and counts exits
// by reason, tells its owner, and writes the post-mortem bundle (all but a clean requested stop get one;
// a crash loop one per postmortem.window, policies::choose_postmortem, the rest are counted).
//
// Nothing of this delays the next incarnation:
// - The bundle is written on the next turn of the loop, after the owner has heard the conclusion (and
//   started the next incarnation, when its restart is due at once). What a start would change is taken at
//   the exit: the cgroup's memory (peak, memory.stat, the timeline), Node's diagnostics (moved aside).
// - A SIGKILL corral did not send, with no OOM evidence yet (the SIGKILL of an OOM kill can outrun the
//   counter and the kernel's report), is told to the owner at once with what is known (a signal; the
//   conclusion is `provisional`), so that the restart does not wait. The investigation stays open for at
//   most policies::kEvidenceWait in the background, with the evidence of the dead incarnation kept apart
//   from the next one's; when it concludes, the dead incarnation's last exit, count by reason and bundle
//   get the real classification, and the log says so if it is not what the owner heard.
// - An abort whose stderr is still open waits for V8's last words (at most kEvidenceWait) before the
//   owner hears anything: its stderr reaches EOF within milliseconds of the exit.
//
// A process of the cgroup other than the main one (a worker's child) that the kernel OOM-kills while the
// main process runs gets a bundle of its own at once (reason oom-kill, its pid and command), and the
// instance goes on; that kill is then no evidence about the instance's own later exit (a requested stop
// after it stays a clean stop, without a bundle).
//
// Ownership: the Instance owns one for its whole life. It owns its evidence, its timers and the bundles
// not yet written (written at destruction at the latest). The MemoryMonitor given to begin() belongs to
// the instance and outlives every incarnation. The owner hears on_death_concluded() once per exit, and,
// for an exit it heard of before the investigation closed (provisional, or its bundle still to write),
// on_investigation_settled() once open() is false again. It may start the next incarnation from inside
// on_death_concluded.
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
#include "supervisor/postmortem/bundle_writer.hpp"

namespace corral::supervisor {

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
        // The evidence is still on its way: the classification is what is known now (a signal), the
        // investigation goes on in the background.
        bool provisional = false;
    };

    class Owner {
    public:
        virtual Circumstances circumstances() const = 0;
        virtual void on_death_concluded(const Conclusion& conclusion) = 0;
        // The investigation of an exit concluded or written up after on_death_concluded: open() is false
        // again, and last_exit() is final.
        virtual void on_investigation_settled() = 0;

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
    ~DeathInvestigation();
    DeathInvestigation(const DeathInvestigation&) = delete;
    DeathInvestigation& operator=(const DeathInvestigation&) = delete;

    // A new incarnation runs as `pid`: evidence from now on is about it (an investigation still open keeps
    // the evidence about the one it investigates). `memory` watches the instance's cgroup; null without one.
    void begin(pid_t pid, std::chrono::system_clock::time_point started_at, const MemoryMonitor* memory);

    // Evidence, as it comes (a kernel report can come just before or just after the exit).
    void note_stderr(std::string_view lines);
    void note_kernel_oom(pid_t pid, bool global, const std::string& killed_line, const std::string& report);
    void note_thrashing(std::string why);     // corral is killing it for thrashing: the measurement
    void note_memory_limit(std::string why);  // corral is restarting it at memory.restart_at
    void note_hung(std::vector<std::string> evidence);  // corral is killing it as hung (liveness)

    // The incarnation is gone: concludes now, or when the evidence is in, or after kEvidenceWait.
    void exited(const policies::ExitStatus& status);
    // Something the evidence depends on changed (stderr closed, the cgroup reported an OOM); concludes
    // an open investigation if it now can. True when it concluded.
    bool reconsider();
    // An exit waits for its verdict, or its bundle is still to be written.
    bool open() const { return pending_.has_value() || !unwritten_.empty(); }
    // The pid of the incarnation whose death is being investigated; 0 for none.
    pid_t investigating() const { return pending_ ? pending_->evidence.pid : 0; }

    const std::optional<LastExit>& last_exit() const { return last_exit_; }
    const std::map<std::string, unsigned>& exits_by_reason() const { return exits_by_reason_; }
    // The deaths of a crash loop are being counted, not bundled (the last one was; or one still under
    // investigation died in a window that counts): its restarts need no lines of their own in the log.
    bool counting_deaths() const;
    // Deaths that were counted instead of bundled, over the instance's life.
    unsigned postmortems_skipped() const { return postmortems_skipped_; }

private:
    struct KernelOom {
        pid_t pid = 0;
        bool global = false;
        std::string killed_line;
        std::string report;
    };
    // What is known about one incarnation.
    struct Evidence {
        pid_t pid = 0;
        std::chrono::system_clock::time_point started_at;
        std::vector<KernelOom> kernel_ooms;
        bool heap_oom_on_stderr = false;
        std::optional<std::string> thrashing;
        std::optional<std::string> memory_limit;
        std::vector<std::string> hung;
        std::uint64_t oom_kills_accounted = 0;  // the cgroup's oom_kill count after the last bundle of its own
    };
    struct PendingExit {
        policies::ExitStatus status;
        std::chrono::system_clock::time_point ended_at;
        Evidence evidence;
        std::uint64_t oom_kills_before = 0;  // the cgroup's counter as the incarnation started (or was accounted)
        bool oom_event = false;              // the cgroup reported an OOM before the exit
        bool superseded = false;             // a new incarnation began: the monitor's flags are its own
        // Told to the owner before it concluded: the circumstances and what the bundle needs, as at the exit.
        std::optional<Circumstances> told;
        std::optional<postmortem::BundleInput> taken;
        unsigned death = 0;  // its number, for last_exit_
    };
    // A bundle to write on the next turn of the loop.
    struct Unwritten {
        postmortem::BundleInput input;
        unsigned death = 0;
        bool memory_kind = false;
        unsigned not_bundled = 0;
    };

    static void on_timeout(uv_timer_t* timer);
    static void on_write(uv_timer_t* timer);
    policies::ExitEvidence weigh(const PendingExit& exit, const Circumstances& now) const;
    void conclude();
    void tell_at_once(const policies::ExitEvidence& evidence);
    void keep_postmortem(const policies::Classification& classification, PendingExit& exit, const Circumstances& now,
                         LastExit& last);
    // death_investigation_bundle.cpp: bundles.
    // later: for a bundle written after the next incarnation may have started (the logs' tails are read
    // now, Node's diagnostics are moved aside; write_unwritten removes what is left of them).
    postmortem::BundleInput take_for_bundle(const PendingExit& exit, const Circumstances& now, bool later) const;
    void write_later(postmortem::BundleInput input, unsigned death, bool memory_kind, unsigned not_bundled);
    void write_unwritten();
    std::string write_postmortem(const postmortem::BundleInput& input, unsigned not_bundled) const;
    void postmortem_of_survivor(const KernelOom& oom);
    void add_memory(postmortem::BundleInput& input) const;

    uv_loop_t* loop_;
    Owner& owner_;
    Setup setup_;
    Evidence current_;
    pid_t previous_pid_ = 0;
    const MemoryMonitor* memory_ = nullptr;
    std::optional<PendingExit> pending_;
    UvHandle<uv_timer_t> timer_;
    std::vector<Unwritten> unwritten_;
    UvHandle<uv_timer_t> write_timer_;
    unsigned deaths_ = 0;
    unsigned last_exit_death_ = 0;
    std::optional<LastExit> last_exit_;
    std::map<std::string, unsigned> exits_by_reason_;
    policies::PostmortemWindow window_;
    std::string window_bundles_[2];  // the bundle that opened each window: [0] memory deaths, [1] others
    unsigned postmortems_skipped_ = 0;
};

}  // namespace corral::supervisor
