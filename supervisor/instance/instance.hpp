#pragma once
// One instance of a service (`api#0`): its lifecycle, a state machine whose decisions come from
// policies::decide(), carried out here by spawning Incarnations (the running process) and with one timer
// (the restart delay or the stop timeout; a restart that is due waits for its turn in the daemon's
// RestartQueue, so that a restart storm cannot starve the control socket). The rest is delegated to objects of their own:
//   InstanceOutput      the two log files and the captures of the incarnations' stdout and stderr;
//   DeathInvestigation  from an exit to the lifecycle's `gone`: evidence, classification, post-mortem;
//   CoolingController   cool periods, carried out with the broker (hold) and the cgroup (freeze);
//   CpuThrottle         a sender the broker cannot keep up with gets its CPU capped until it can (and
//                       is frozen while its channel is a quarter full);
//   GroupFreezer        the cgroup's frozen state, wanted by either of those two;
//   Standby             the next incarnation, waiting in the cgroup before its exec (with cgroups);
//   LivenessWatch       with `liveness`: an event loop that stops turning is hung: stack, kill, restart;
//   MemoryMonitor       with a cgroup: OOM events, pressure and samples (and MemoryActions, what is
//                       done about them: heap snapshots, a restart at memory.restart_at, a kill for
//                       thrashing).
//
// Ownership: the Daemon owns Instances and destroys one only when quiet() (down, no process, no open
// pipe, no death under investigation). Everything above is owned here; an Incarnation is dropped inside
// its own on_gone.
#include <sys/types.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/uv_handle.hpp"
#include "ipc/broker.hpp"
#include "ipc/channel_socket.hpp"
#include "policies/cooling.hpp"
#include "policies/lifecycle.hpp"
#include "supervisor/agent/runtime_report.hpp"
#include "supervisor/cgroup/driver.hpp"
#include "supervisor/cgroup/instance_group.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/instance/cooling_controller.hpp"
#include "supervisor/instance/cpu_meter.hpp"
#include "supervisor/instance/cpu_throttle.hpp"
#include "supervisor/instance/death_investigation.hpp"
#include "supervisor/instance/loop_watch.hpp"
#include "supervisor/instance/incarnation.hpp"
#include "supervisor/instance/liveness_watch.hpp"
#include "supervisor/instance/instance_output.hpp"
#include "supervisor/instance/memory_actions.hpp"
#include "supervisor/instance/memory_monitor.hpp"
#include "supervisor/instance/orphan_reaper.hpp"
#include "supervisor/instance/readiness_probe.hpp"
#include "supervisor/instance/restart_queue.hpp"
#include "supervisor/instance/restart_counts.hpp"
#include "supervisor/instance/standby.hpp"
#include "supervisor/listen/listen_sockets.hpp"

namespace corral::supervisor {

class Instance;

class InstanceObserver {
public:
    virtual void on_transition(Instance& instance, policies::State from, policies::State to,
                               const std::string& reason) = 0;
    // Whole lines the instance printed (`stream` is "out" or "err"), as they are written to its log.
    virtual void on_output(Instance& instance, std::string_view stream, std::string_view lines) = 0;
    // quiet() may have become true.
    virtual void on_quiet(Instance& instance) = 0;
    // A cool period started or ended.
    virtual void on_cooling(Instance& instance, bool cooling, const std::string& reason) = 0;
    // The investigation of a death concluded after the lifecycle moved on (its classification came late,
    // or its post-mortem was written): last_exit() changed.
    virtual void on_last_exit(Instance& instance) = 0;
    // What status shows of its memory changed outside the sampler's tick (a threshold was crossed).
    virtual void on_memory_changed(Instance&) {}

protected:
    ~InstanceObserver() = default;
};

struct InstanceContext {
    uv_loop_t* loop = nullptr;
    OrphanReaper* reaper = nullptr;
    ExecShim exec_shim;            // run before every start (exec_shim.hpp)
    std::filesystem::path log_dir;  // <state_dir>/logs
    InstanceObserver* observer = nullptr;
    cgroup::Driver* cgroups = nullptr;  // null: process groups only
    bool cgroups_required = false;      // an instance whose cgroup cannot be made does not start
    config::SupervisorSpec supervisor;  // state_dir, sample_interval, postmortem retention
    ipc::Broker* broker = nullptr;      // Node IPC channels end here; null: no channels
    RestartQueue* restarts = nullptr;   // due restarts wait here for their turn; null: at once
    const LoopWatch* loop_watch = nullptr;  // dates exits heard after the daemon was stopped; may be null
    const ListenSockets* listen = nullptr;  // the services' listening sockets; null: none held
    std::filesystem::path agent;  // the Node agent (supervisor/agent), required by services with `listen`; may be empty
};

class Instance final : private IncarnationOwner,
                       private MemoryMonitor::Owner,
                       private InstanceOutput::Owner,
                       private DeathInvestigation::Owner,
                       private CoolingController::Owner,
                       private LivenessWatch::Owner {
public:
    // `generation`: a replacement made by a rollout runs beside the instance it replaces, in a cgroup of
    // its own ("api/0.3"); 0 for the first.
    Instance(const InstanceContext& context, std::shared_ptr<const config::ServiceSpec> spec, unsigned index,
             unsigned generation = 0);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    // Makes its cgroup ahead of its first start (Daemon::apply makes every new one before starting any).
    void prepare_group();
    void start();
    // A replacement (a rollout): its channel is read from its start but becomes the instance's receiver
    // only once it is running (ready); until then the instance it replaces receives.
    void start_as_replacement();
    void stop();
    void restart();
    // SIGKILL whatever runs now (a second Ctrl-C during shutdown).
    void kill_now();
    // The new spec is used from the next start on; log limits apply at once.
    void update_spec(std::shared_ptr<const config::ServiceSpec> spec);

    const std::string& name() const { return name_; }  // "api#0"
    unsigned index() const { return index_; }
    const config::ServiceSpec& spec() const { return *spec_; }
    policies::State state() const { return lifecycle_.state; }
    unsigned restarts() const { return lifecycle_.restarts; }
    pid_t pid() const { return incarnation_ ? incarnation_->pid() : 0; }
    policies::TimePoint started_at() const { return lifecycle_.started_at; }
    bool quiet() const;
    // Exec'd and waiting until ready (`ready` other than "exec"): what it waits for; nullopt otherwise.
    std::optional<std::string> waiting_until_ready() const;

    // The instance's cgroup ("api/0"), or "" without one.
    std::string cgroup_name() const { return group_ ? group_->name() : std::string(); }
    // Reads the cgroup's memory accounting and acts on it (memory.snapshot_at, memory.restart_at,
    // thrashing, cooling); no-op without a cgroup, but for cooling.
    // One tick of the daemon's sampler (`full`: read every statistic now, not only the cheap counter).
    // True when what status shows of its memory changed.
    bool sample_memory(std::int64_t now_ms, policies::TimePoint now, bool full = false);
    const std::optional<cgroup::MemoryStats>& memory() const;
    // Percent of one CPU over the last sampling interval, while a program runs (cpu_meter.hpp).
    std::optional<double> cpu_percent() const { return incarnation_ ? cpu_.percent() : std::nullopt; }
    // The kernel's OOM killer killed `pid` in this instance's cgroup (or, `global`, anywhere).
    void on_kernel_oom(pid_t pid, bool global, const std::string& killed_line, const std::string& report) {
        death_.note_kernel_oom(pid, global, killed_line, report);
    }
    pid_t last_pid() const { return last_pid_; }
    // The incarnation whose death is still being investigated (the instance may run the next one); 0: none.
    pid_t investigated_pid() const { return death_.investigating(); }

    // corral cool / corral heat; nullopt when the instance is not running.
    std::optional<policies::CoolingTransition> cool(std::optional<policies::Duration> for_how_long) {
        return cooling_.cool(for_how_long);
    }
    std::optional<policies::CoolingTransition> heat() { return cooling_.heat(); }
    using CoolingState = CoolingController::State;
    // nullopt while working or not running.
    std::optional<CoolingState> cooling_state(policies::TimePoint now) const { return cooling_.state(now); }
    // The Node agent's latest report on the current incarnation, and when it came; nullopt before the first.
    struct RuntimeSample {
        agent::RuntimeReport report;
        policies::TimePoint at;
    };
    const std::optional<RuntimeSample>& runtime() const { return runtime_; }
    // The sender throttle: nullopt while not throttled; engagements and throttled time over the instance's life.
    std::optional<CpuThrottle::State> throttle_state() const { return throttle_.state(); }
    std::uint64_t throttles() const { return throttle_.engagements(); }
    std::uint64_t channel_freezes() const { return throttle_.freezes(); }
    policies::Duration channel_frozen_for(policies::TimePoint now) const { return throttle_.frozen_for(now); }
    policies::Duration throttled_for(policies::TimePoint now) const { return throttle_.throttled_for(now); }
    const std::optional<LastExit>& last_exit() const { return death_.last_exit(); }
    const std::map<std::string, unsigned>& exits_by_reason() const { return death_.exits_by_reason(); }
    unsigned postmortems_skipped() const { return death_.postmortems_skipped(); }
    // For the metrics: restarts by reason (restart_counts.hpp), time spent cooling, the cgroup's CPU time.
    const std::map<std::string, std::uint64_t>& restarts_by_reason() const { return restart_counts_.by_reason(); }
    policies::Duration cooled_for(policies::TimePoint now) const { return cooling_.cooled_for(now); }
    std::optional<double> cpu_seconds() const { return cpu_.usage_seconds(); }
    // A rollout's replacement carries on the restart counts of the instance it replaces.
    void carry_restart_counts(const Instance& replaced) { restart_counts_.carry_on(replaced.restart_counts_); }
    const std::filesystem::path& out_log() const { return output_.out_log(); }
    const std::filesystem::path& err_log() const { return output_.err_log(); }
    void flush_logs() { output_.flush_logs(); }  // corral flush

private:
    void on_exec(const ExecReport& report) override;
    void on_gone(const policies::ExitStatus& status) override;
    void on_oom_event() override { death_.reconsider(); }
    void on_memory_threshold() override;
    void on_lines(std::string_view stream, std::string_view lines) override;
    void on_capture_closed() override;
    DeathInvestigation::Circumstances circumstances() const override;
    void on_death_concluded(const DeathInvestigation::Conclusion& conclusion) override;
    void on_investigation_settled() override;
    void on_cooling(bool cooling, const std::string& reason) override;
    // instance_liveness.cpp: the liveness watch's owner.
    Pause loop_pause() const override;
    void on_hung(std::vector<std::string> evidence) override;
    void start_liveness();
    static void on_timer(uv_timer_t* timer);
    static void on_restart_turn(void* self);
    void stop_timer();

    void handle(const policies::Event& event);
    void apply(const policies::Decision& decision);
    void arm_timer(policies::EventKind event, policies::Duration delay);
    policies::LifecyclePolicy lifecycle_policy() const;

    // instance_spawn.cpp: a new incarnation.
    void spawn();
    // Starts the standby's program; false when there is none for this spec or it could not go.
    bool spawn_from_standby();
    // Makes the standby for the next start, when it may be needed (instance_standby.cpp).
    void prepare_standby();
    bool wants_standby() const;
    // Kills the standby; it is kept in `retired_` until its exit is heard (quiet() waits for that).
    void drop_standby();
    void forget(Standby* standby);
    // spec_->limits, with a pid for the standby.
    cgroup::Limits group_limits(const config::ServiceSpec& spec) const;
    SpawnRequest spawn_request(const InstanceOutput::Pipes& pipes, bool standby = false) const;
    void began(std::optional<ipc::ChannelSocket>& channel);
    bool make_group();
    void prepare_memory_watch();
    void prepare_diagnostics();
    bool has_channel() const;
    std::optional<ipc::ChannelSocket> open_channel() const;
    std::vector<std::string> child_environment() const;
    void add_listen_environment(std::map<std::string, std::string>& vars) const;
    bool reports_runtime() const;
    void add_agent(std::map<std::string, std::string>& vars) const;
    // instance_ready.cpp: readiness (config::ReadySpec).
    ipc::AttachOptions attach_options();
    void on_notice(const ipc::InstanceNotice& notice);
    void on_runtime_report(std::string_view payload);
    void await_ready(policies::Duration timeout);
    void end_readiness();
    std::string not_ready_detail() const;
    // Where Node writes this instance's reports and heap snapshots until a post-mortem takes them.
    std::filesystem::path diagnostics_dir() const;

    InstanceContext context_;
    std::shared_ptr<const config::ServiceSpec> spec_;
    unsigned index_;
    std::string name_;
    policies::InstanceState lifecycle_;
    InstanceOutput output_;
    std::unique_ptr<InstanceGroup> group_;  // outlives the incarnation that points to it
    bool group_failed_ahead_ = false;        // prepare_group() failed (and said so): the next start fails too
    std::unique_ptr<MemoryMonitor> monitor_;
    DeathInvestigation death_;  // reads monitor_
    GroupFreezer freezer_;  // the incarnation's cgroup, for cooling_ and throttle_
    CoolingController cooling_;
    CpuThrottle throttle_;
    CpuMeter cpu_;
    std::unique_ptr<Incarnation> incarnation_;
    std::unique_ptr<Standby> standby_;               // in group_
    std::vector<std::unique_ptr<Standby>> retired_;  // killed, their exit not heard yet
    std::unique_ptr<MemoryActions> memory_actions_;  // with monitor_; acts on incarnation_
    pid_t last_pid_ = 0;  // of the latest incarnation, for log lines about its end
    UvHandle<uv_timer_t> timer_;
    policies::EventKind timer_event_ = policies::EventKind::backoff_elapsed;
    ipc::ChannelId channel_id_ = 0;     // the incarnation's channel, for detach
    std::uint64_t incarnations_ = 0;    // started so far: tells the notices of the current one from older ones
    std::set<std::string> listening_;   // addresses the current incarnation accepts on (the agent's notices)
    std::optional<RuntimeSample> runtime_;  // the current incarnation's latest report
    bool runtime_malformed_ = false;        // said once per incarnation
    unsigned generation_ = 0;
    bool replacement_ = false;          // started beside the instance it replaces, not its receiver yet
    std::unique_ptr<ReadinessProbe> probe_;  // ready = { http } or { tcp }, while waiting
    RestartCounts restart_counts_;
    LivenessWatch liveness_;
    std::optional<policies::TimePoint> cooled_until_;  // the end of the latest cool period
};

}  // namespace corral::supervisor
