#pragma once
// The daemon: owns the loop's signal handlers and every Instance, applies a Config (at start and on
// reload), samples memory, keeps the status file, and shuts down cleanly. The control socket's commands are
// the ControlService's, which asks the daemon for what it needs through DaemonControl.
//
// Shutdown follows the phase table of policies/daemon_phase.hpp. SIGTERM/SIGINT (or the `shutdown` command)
// first drains the IPC broker (no sender is read; what it holds is delivered while the receivers run, for
// at most [supervisor] drain_timeout) and persists the rest for the next daemon; then it stops every
// instance with its stop signal and timeout; once all are down, any process that escaped its
// process group but is still a child of the daemon (it is a subreaper) is SIGKILLed; once every output pipe
// has reached EOF (or a grace period is over), all handles are closed and run() returns 0. A second
// SIGTERM/SIGINT SIGKILLs what is still running.
// Reload (SIGHUP): the file is read again; a bad file is reported and changes nothing. Otherwise added
// services start, removed ones stop, changed ones restart, a change of `instances` alone scales, and
// unchanged services keep running untouched.
#include <uv.h>

#include <array>
#include <csignal>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/uv_handle.hpp"
#include "policies/daemon_phase.hpp"
#include "supervisor/cgroup/driver.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/daemon/control_service.hpp"
#include "supervisor/daemon/foreground_output.hpp"
#include "supervisor/daemon/status_file.hpp"
#include "supervisor/daemon/systemd_notifier.hpp"
#include "supervisor/instance/instance.hpp"
#include "supervisor/instance/loop_watch.hpp"
#include "supervisor/instance/orphan_reaper.hpp"
#include "supervisor/kmsg/kmsg_reader.hpp"
#include "supervisor/listen/listen_sockets.hpp"
#include "supervisor/metrics/http_endpoint.hpp"

namespace corral::supervisor {

// The signals the daemon acts on (README: "signal to the daemon"); held back until it watches them.
inline constexpr std::array<int, 3> kDaemonSignals{SIGTERM, SIGINT, SIGHUP};

// The broker's routes and instance counts for `config`.
ipc::BrokerConfig broker_config(const config::Config& config);

class Daemon final : private InstanceObserver, private DaemonControl {
public:
    // `cgroups` may be null (no cgroups: `why_no_cgroups` says why, for warnings about limits).
    // `listen`: the services' listening sockets, bound already (ListenSockets::apply with `config`).
    Daemon(uv_loop_t* loop, config::Config config, std::string corral_exe, std::unique_ptr<cgroup::Driver> cgroups,
           std::string why_no_cgroups, std::unique_ptr<ListenSockets> listen);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Opens the control socket, starts every service and runs the loop until shutdown is complete;
    // returns the exit code. `ready` is called once the socket answers and the services are starting.
    int run(const std::function<void()>& ready = {});
    // In the foreground (foreground_output.hpp): the programs' output on stdout, and for `corral run`, a stop
    // once every instance is done for good. Before run().
    void set_foreground(const ForegroundOptions& options);
    // corral run: the exit code its program(s) ended with (daemon_run_exit.cpp); 0 until then.
    int program_exit_code() const { return program_exit_code_; }
    // [supervisor] metrics: the socket bound for it (metrics::listen_tcp), served from run(). Before run().
    void serve_metrics(UniqueFd listener);

private:
    // A rolling restart of a service (daemon_rollout.cpp): instance by instance, in index order, a
    // replacement with the new spec starts beside the running instance and takes its place once running
    // (ready); the instance it replaced then stops gracefully. With rollout.surge = 0 the instance is
    // stopped first. A replacement that does not get to running stops the rollout: the instances not
    // replaced yet keep serving with what they run. The replacements are made when the rollout begins (so
    // that a waiting reload can follow each of them) and started in turn.
    struct Rollout {
        unsigned next = 0;                                  // the index replaced now
        std::vector<std::unique_ptr<Instance>> replacements;  // by index; taken out as they take over
        bool started = false;                               // the replacement of `next` is started
        // The started replacement still beside the instance it replaces (surge = 1), or null.
        Instance* beside() const {
            return started && next < replacements.size() ? replacements[next].get() : nullptr;
        }
    };
    struct Service {
        std::shared_ptr<const config::ServiceSpec> spec;
        std::vector<std::unique_ptr<Instance>> instances;
        unsigned generations = 0;          // replacements made so far (their cgroups' names)
        std::unique_ptr<Rollout> rollout;  // under way
    };

    void on_transition(Instance& instance, policies::State from, policies::State to, const std::string& reason) override;
    // corral run in the foreground, on settle (outside the instances' callbacks): when every instance has
    // exited for good (or failed), the exit code is taken and the daemon stops (daemon_run_exit.cpp).
    void stop_when_done();
    void on_output(Instance& instance, std::string_view stream, std::string_view lines) override;
    void on_quiet(Instance& instance) override;
    void on_last_exit(Instance&) override { schedule_status(); }
    void on_cooling(Instance& instance, bool cooling, const std::string& reason) override;
    void on_memory_changed(Instance& instance) override;

    // DaemonControl (daemon_status.cpp for resolve and status_json).
    std::vector<Instance*> resolve(const protocol::Target& target) const override;
    nlohmann::json status_json() const override;
    // daemon_notify.cpp: tells systemd about the reload around read_and_apply().
    ReloadOutcome reload(const std::optional<protocol::Target>& roll = std::nullopt) override;
    ReloadOutcome read_and_apply(const std::optional<protocol::Target>& roll);
    // A rollout of `roll`'s service (reload SERVICE), unless the reload began one already.
    void roll_service(const protocol::Target& roll, ReloadOutcome& outcome);
    void shut_down() override;
    bool shutting_down() const override { return policies::is_stopping(phase_); }
    const std::filesystem::path& state_dir() const override { return config_.supervisor.state_dir; }
    const std::filesystem::path& config_file() const override { return config_.file; }
    // daemon_adhoc.cpp: ad-hoc services (added over the socket, in no file).
    ServiceChange add_service(const config::ServiceSpec& spec) override;
    ServiceChange delete_service(const std::string& name) override;
    nlohmann::json services_json() const override;
    // A reload keeps the ad-hoc services: they go into `next` unless the file now defines their name (then
    // the file's definition wins). Returns those names: the file's once the reload is applied.
    std::vector<std::string> keep_adhoc(config::Config& next) const;
    const config::Config& running_config() const override { return config_; }
    // daemon_metrics.cpp. The exposition; the endpoint started by run(); a reload's new address bound
    // before anything else changes (false: refused, with the error in `outcome`), then put in place.
    std::string metrics_text() override;
    bool start_metrics();
    bool prepare_metrics(const config::Config& next, std::unique_ptr<metrics::HttpEndpoint>& fresh,
                         ReloadOutcome& outcome);
    void commit_metrics(const config::Config& next, std::unique_ptr<metrics::HttpEndpoint> fresh);

    static void on_signal(uv_signal_t* handle, int signum);
    static void on_settle(uv_timer_t* timer);
    static void on_pipes_deadline(uv_timer_t* timer);
    static void on_drain_tick(uv_timer_t* timer);
    static void on_sample(uv_timer_t* timer);
    static void on_status(uv_timer_t* timer);

    void handle_signal(int signum);
    void on_kernel_oom(const kmsg::OomReport& report);
    void apply(const config::Config& config, ReloadOutcome& outcome);
    // A service whose settings changed (`restart`: its instances restart), scaled to spec.instances.
    Service update_service(Service service, const config::ServiceSpec& spec, bool restart, std::vector<Instance*>& added,
                           std::vector<Awaited>& awaited);
    // New instances go to `added`; apply() makes their cgroups, then starts them.
    void add_instances(Service& service, unsigned count, std::vector<Instance*>& added);
    // Stops the instances past `keep` (each goes to `awaited` as down) and keeps them until quiet.
    void retire_instances(Service& service, unsigned keep, std::vector<Awaited>& awaited);
    void retire(std::unique_ptr<Instance> instance);
    // daemon_rollout.cpp. The instances of `service` it replaces and their replacements go to `awaited`.
    void begin_rollout(Service& service, std::vector<Awaited>& awaited);
    void schedule_rollouts();
    static void on_rollout_step(uv_timer_t* timer);
    void step_rollout(Service& service);
    // False while the rollout waits for its replacement; true when it moved on (or ended).
    bool settle_replacement(Service& service);
    void abort_rollout(Service& service);
    // daemon_shutdown.cpp. Feeds `event` to the phase table, logs the transition, carries out its action.
    void advance(policies::PhaseEvent event, std::string_view cause = {});
    void carry_out(policies::PhaseAction action);
    void schedule_settle();
    void schedule_status();
    // daemon_notify.cpp. Settled: no instance is starting or stopping (or still has a process once down),
    // and no rollout is under way; then READY=1 when systemd waits for it.
    bool settled() const;
    void notify_if_settled();
    std::string notify_status() const;
    void sample_memory();
    void write_status();
    void settle();
    void sweep();
    void finish();
    void close_handles();
    bool all_down() const;
    bool everything_quiet() const;
    template <typename Fn>
    void for_each_instance(Fn&& fn) const;

    uv_loop_t* loop_;
    config::Config config_;
    std::unique_ptr<cgroup::Driver> cgroups_;  // before context_, which points to it
    std::string why_no_cgroups_;
    std::unique_ptr<ListenSockets> listen_;  // before context_, which points to it
    InstanceContext context_;
    OrphanReaper reaper_;
    RestartQueue restarts_;  // outlives every Instance, which may cancel its entry when destroyed
    LoopWatch loop_watch_;
    std::string cgroup_top_;  // "corral-<id>": how the kernel's reports name our groups
    kmsg::KmsgReader kmsg_;
    ipc::Broker broker_;
    ControlService control_;
    StatusFile status_file_;
    SystemdNotifier notifier_;
    policies::TimePoint started_at_;
    std::vector<Service> services_;                   // in file order
    std::set<std::string> adhoc_;                     // the services of config_ that are in no file
    std::vector<std::unique_ptr<Instance>> retiring_;  // stopping; destroyed once quiet
    std::vector<UvHandle<uv_signal_t>> signals_;
    UvHandle<uv_timer_t> settle_timer_;
    UvHandle<uv_timer_t> pipes_timer_;  // sweeping: how long output pipes may stay open
    UvHandle<uv_timer_t> drain_timer_;  // draining: polls the broker until drained or drain_deadline_
    policies::TimePoint drain_deadline_{};
    UvHandle<uv_timer_t> sample_timer_;
    UvHandle<uv_timer_t> status_timer_;
    UvHandle<uv_timer_t> rollout_timer_;  // steps the rollouts outside the instances' own callbacks
    uint64_t status_written_at_ = 0;  // loop time of the last status.json write
    policies::DaemonPhase phase_ = policies::DaemonPhase::starting;
    std::unique_ptr<ForegroundOutput> foreground_;  // null: detached, or --quiet
    bool exit_when_done_ = false;
    int program_exit_code_ = 0;
    UniqueFd metrics_listener_;                      // until run() serves it
    std::unique_ptr<metrics::HttpEndpoint> metrics_;  // null: no [supervisor] metrics
    double last_scrape_seconds_ = 0;
};

template <typename Fn>
void Daemon::for_each_instance(Fn&& fn) const {
    for (const auto& service : services_) {
        for (const auto& instance : service.instances) fn(*instance);
        if (service.rollout && service.rollout->beside()) fn(*service.rollout->beside());
    }
    for (const auto& instance : retiring_) fn(*instance);
}

}  // namespace corral::supervisor
