#include "supervisor/daemon/daemon.hpp"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "base/text_format.hpp"
#include "policies/signal_names.hpp"
#include "supervisor/agent/agent_file.hpp"
#include "supervisor/config/load_config.hpp"
#include "supervisor/daemon/cgroup_setup.hpp"
#include "supervisor/daemon/reload_plan.hpp"
#include "supervisor/daemon/status_file.hpp"
#include "supervisor/postmortem/bundle_writer.hpp"

namespace corral::supervisor {

using policies::DaemonPhase;
using policies::PhaseEvent;
using policies::State;

namespace {

constexpr uint64_t kStatusEvery = 500;  // ms

// [supervisor] settings take effect when the daemon restarts, but for `metrics`, which a reload moves
// (daemon_metrics.cpp).
void keep_supervisor_settings(const config::SupervisorSpec& running, config::SupervisorSpec& next) {
    config::SupervisorSpec kept = running;
    kept.metrics = next.metrics;
    if (next == kept) return;
    spdlog::warn("reload: [supervisor] settings changed; they take effect only when the daemon restarts (metrics "
                 "excepted)");
    next = kept;
}

}  // namespace

ipc::BrokerConfig broker_config(const config::Config& config) {
    ipc::BrokerConfig broker;
    broker.max_message = config.supervisor.max_message;
    broker.spill_dir = config.supervisor.state_dir / "spill";
    for (const auto& service : config.services) broker.instances[service.name] = service.instances;
    for (const auto& route : config.routes) {
        broker.routes.push_back({route.from, route.to, route.rate, route.queue, route.delivery == config::Delivery::broadcast});
    }
    return broker;
}

Daemon::Daemon(uv_loop_t* loop, config::Config config, std::string corral_exe, std::unique_ptr<cgroup::Driver> cgroups,
               std::string why_no_cgroups, std::unique_ptr<ListenSockets> listen)
    : loop_(loop),
      config_(std::move(config)),
      cgroups_(std::move(cgroups)),
      why_no_cgroups_(std::move(why_no_cgroups)),
      listen_(listen ? std::move(listen) : std::make_unique<ListenSockets>()),
      reaper_(loop),
      restarts_(loop),
      loop_watch_(loop),
      cgroup_top_(cgroup::top_group_name(config_.supervisor.state_dir)),
      kmsg_(loop, [this](const kmsg::OomReport& report) { on_kernel_oom(report); }),
      broker_(loop, broker_config(config_)),
      control_(loop, *this),
      status_file_(config_.supervisor.state_dir / "status.json"),
      notifier_(loop, [this] { return notify_status(); }),
      started_at_(policies::Clock::now()) {
    context_.loop = loop;
    context_.cgroups = cgroups_.get();
    context_.cgroups_required = config_.supervisor.cgroups == config::CgroupMode::required;
    context_.supervisor = config_.supervisor;
    context_.broker = &broker_;
    context_.reaper = &reaper_;
    context_.restarts = &restarts_;
    context_.exec_shim = locate_exec_shim(corral_exe);
    context_.log_dir = config_.supervisor.state_dir / "logs";
    context_.observer = this;
    context_.loop_watch = &loop_watch_;
    context_.listen = listen_.get();
    if (Result<std::filesystem::path> agent = agent::install_agent(config_.supervisor.state_dir / "agent")) {
        context_.agent = *agent;
    } else {
        spdlog::warn("the Node agent is not installed ({}): services with `listen` get their sockets, but a "
                     "server.listen() is not mapped onto them", agent.error().message());
    }

    for (const int signum : kDaemonSignals) {
        UvHandle<uv_signal_t> handle;
        if (const int rc = handle.init(uv_signal_init, loop); rc < 0) {
            spdlog::error("cannot watch {}: {}", policies::signal_name(signum), uv_strerror(rc));
            continue;
        }
        handle.get()->data = this;
        uv_signal_start(handle.get(), on_signal, signum);
        signals_.push_back(std::move(handle));
    }
    for (auto* timer : {&settle_timer_, &pipes_timer_, &drain_timer_, &sample_timer_, &status_timer_, &rollout_timer_}) {
        if (const int rc = timer->init(uv_timer_init, loop); rc < 0) {
            spdlog::critical("cannot create a timer: {}", uv_strerror(rc));
            std::abort();
        }
        timer->get()->data = this;
    }
}

Daemon::~Daemon() { close_handles(); }

int Daemon::run(const std::function<void()>& ready) {
    // Orphaned descendants of services come back to the daemon, not to init: they can be found, killed
    // and reaped (see OrphanReaper).
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) spdlog::warn("cannot become a child subreaper: {}", std::strerror(errno));
    spdlog::info("corral {} supervising {} service(s){}{}", CORRAL_VERSION, config_.services.size(),
                 config_.file.empty() ? "" : " from ", config_.file.string());
    const auto socket = config_.supervisor.state_dir / "corral.sock";
    if (Status listening = control_.listen(socket); !listening) {
        spdlog::error("control socket: {}", listening.error().message());
        close_handles();
        uv_run(loop_, UV_RUN_DEFAULT);
        return 1;
    }
    if (!start_metrics()) {
        close_handles();
        uv_run(loop_, UV_RUN_DEFAULT);
        return 1;
    }
    if (Status opened = kmsg_.open(); !opened) {
        spdlog::warn("the kernel's OOM reports are not read: {}", opened.error().message());
    }
    ReloadOutcome first;
    apply(config_, first);
    advance(PhaseEvent::started);
    notifier_.expect_ready();
    notify_if_settled();
    if (ready) ready();
    if (cgroups_) {
        const auto every = static_cast<uint64_t>(config_.supervisor.sample_interval.count());
        uv_timer_start(sample_timer_.get(), on_sample, every, every);
    }
    uv_run(loop_, UV_RUN_DEFAULT);
    spdlog::info("corral stopped");
    return 0;
}

void Daemon::on_signal(uv_signal_t* handle, int signum) { static_cast<Daemon*>(handle->data)->handle_signal(signum); }

void Daemon::handle_signal(int signum) {
    if (signum != SIGHUP) {
        advance(PhaseEvent::stop_signal, policies::signal_name(signum));
        return;
    }
    if (!shutting_down()) reload();
}


Daemon::ReloadOutcome Daemon::read_and_apply(const std::optional<protocol::Target>& roll) {
    ReloadOutcome outcome;
    if (roll && roll->index) {
        outcome.errors.push_back("reload rolls a whole service: name it without #" + std::to_string(*roll->index));
        return outcome;
    }
    if (roll && config_.file.empty()) {  // `corral run`: nothing to read, the service rolls as it is
        roll_service(*roll, outcome);
        return outcome;
    }
    if (config_.file.empty()) {
        outcome.errors.push_back("nothing to reload: this daemon was started by `corral run`, without a service file "
                                 "(`corral reload SERVICE` rolls a service as it is)");
        spdlog::warn("reload: {}", outcome.errors.back());
        return outcome;
    }
    spdlog::info("reloading {}", config_.file.string());
    config::LoadResult result = config::load_config_file(config_.file);
    if (!result.config) {
        for (const auto& error : result.errors) {
            spdlog::error("{}", error.to_string());
            outcome.errors.push_back(error.to_string());
        }
        spdlog::error("reload failed: {} error(s) in {}; nothing was changed", result.errors.size(),
                      config_.file.string());
        return outcome;
    }
    config::Config next = std::move(*result.config);
    const std::vector<std::string> file_took = keep_adhoc(next);
    keep_supervisor_settings(config_.supervisor, next.supervisor);
    if (!accept_limits(next, cgroups_.get(), why_no_cgroups_)) {
        const std::string why = "limits that cannot be applied with cgroups = \"required\"; nothing was changed";
        spdlog::error("reload refused: {}", why);
        for (const auto& problem : unapplicable_limits(next, cgroups_.get(), why_no_cgroups_)) outcome.errors.push_back(problem);
        return outcome;
    }
    std::unique_ptr<metrics::HttpEndpoint> moved_metrics;
    if (!prepare_metrics(next, moved_metrics, outcome)) return outcome;
    if (std::vector<std::string> errors = listen_->apply(next.services, next.file); !errors.empty()) {
        for (const auto& error : errors) spdlog::error("reload refused: {}", error);
        outcome.errors = std::move(errors);
        return outcome;
    }
    broker_.configure(broker_config(next));
    if (roll && std::none_of(next.services.begin(), next.services.end(),
                             [&](const auto& spec) { return spec.name == roll->service; })) {
        outcome.errors.push_back("reload: no service \"" + roll->service + "\" in " +
                                 config_.file.string());
        return outcome;
    }
    commit_metrics(next, std::move(moved_metrics));
    apply(next, outcome);
    for (const auto& name : file_took) adhoc_.erase(name);
    if (roll) roll_service(*roll, outcome);
    config_ = std::move(next);
    spdlog::info("reload complete: {} service(s)", config_.services.size());
    return outcome;
}

// Fills the outcome's changes and what a waiting client waits for (DaemonControl::ReloadOutcome).
void Daemon::apply(const config::Config& config, ReloadOutcome& outcome) {
    std::vector<config::ServiceSpec> running;
    for (const auto& service : services_) running.push_back(*service.spec);
    std::vector<Service> next;
    std::vector<Instance*> added;
    for (const ReloadStep& step : plan_reload(running, config.services)) {
        const auto spec = std::find_if(config.services.begin(), config.services.end(),
                                       [&](const auto& s) { return s.name == step.service; });
        const auto existing = std::find_if(services_.begin(), services_.end(),
                                           [&](const Service& s) { return s.spec && s.spec->name == step.service; });
        if (step.action != ReloadAction::keep) outcome.changes.emplace_back(step.service, reload_action_name(step.action));
        switch (step.action) {
            case ReloadAction::add: {
                if (phase_ != DaemonPhase::starting) spdlog::info("{}: new service", step.service);
                Service service;
                service.spec = std::make_shared<const config::ServiceSpec>(*spec);
                add_instances(service, spec->instances, added);
                next.push_back(std::move(service));
                break;
            }
            case ReloadAction::remove:
                spdlog::info("{}: removed from the service file, stopping it", step.service);
                retire_instances(*existing, 0, outcome.awaited);
                break;
            case ReloadAction::keep: next.push_back(std::move(*existing)); break;
            case ReloadAction::update:
            case ReloadAction::restart:
                next.push_back(update_service(std::move(*existing), *spec, step.action == ReloadAction::restart, added,
                                              outcome.awaited));
                break;
        }
    }
    services_ = std::move(next);
    // Every new cgroup is made before the first start: the kernel holds its cgroup lock through an RCU
    // grace period (10-25 ms here) while a started shim moves into its group, and a mkdir meanwhile waits.
    for (Instance* instance : added) instance->prepare_group();
    for (Instance* instance : added) {
        instance->start();
        outcome.awaited.push_back({instance, policies::WaitGoal::new_start});
    }
}

Daemon::Service Daemon::update_service(Service service, const config::ServiceSpec& spec, bool restart,
                                       std::vector<Instance*>& added, std::vector<Awaited>& awaited) {
    if (restart) {
        spdlog::info("{}: its command, cwd, env, sockets or Node diagnostics changed: rolling its instances", spec.name);
    } else if (service.spec->instances != spec.instances) {
        spdlog::info("{}: scaling from {} to {} instance(s)", spec.name, service.spec->instances, spec.instances);
    } else {
        spdlog::info("{}: settings updated, no restart needed", spec.name);
    }
    service.spec = std::make_shared<const config::ServiceSpec>(spec);
    retire_instances(service, spec.instances, awaited);
    // A restart rolls: the running instances keep what they run until replaced.
    if (!restart) {
        for (auto& instance : service.instances) instance->update_spec(service.spec);
    } else if (!service.instances.empty()) {
        begin_rollout(service, awaited);
    }
    add_instances(service, spec.instances, added);
    return service;
}

void Daemon::add_instances(Service& service, unsigned count, std::vector<Instance*>& added) {
    for (auto index = static_cast<unsigned>(service.instances.size()); index < count; ++index) {
        service.instances.push_back(std::make_unique<Instance>(context_, service.spec, index));
        added.push_back(service.instances.back().get());
    }
}

void Daemon::retire_instances(Service& service, unsigned keep, std::vector<Awaited>& awaited) {
    while (service.instances.size() > keep) {
        std::unique_ptr<Instance> instance = std::move(service.instances.back());
        service.instances.pop_back();
        awaited.push_back({instance.get(), policies::WaitGoal::down});
        retire(std::move(instance));
    }
}

void Daemon::retire(std::unique_ptr<Instance> instance) {
    instance->stop();
    retiring_.push_back(std::move(instance));
    schedule_settle();
}

void Daemon::on_transition(Instance& instance, State from, State to, const std::string& reason) {
    if (policies::is_down(to)) schedule_settle();
    schedule_rollouts();
    schedule_status();
    notifier_.changed();
    notify_if_settled();
    control_.publish_transition(instance, from, to, reason);
}

void Daemon::on_output(Instance& instance, std::string_view stream, std::string_view lines) {
    control_.publish_output(instance, stream, lines);
    if (foreground_) foreground_->lines(instance.name(), stream, lines);
}

void Daemon::on_sample(uv_timer_t* timer) { static_cast<Daemon*>(timer->data)->sample_memory(); }

void Daemon::sample_memory() {
    const auto now = policies::Clock::now();
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    bool changed = false;
    for_each_instance([&](Instance& instance) { changed = instance.sample_memory(now_ms, now) || changed; });
    if (changed) schedule_status();
}

// Several transitions in one loop iteration make one write, and writes are at least kStatusEvery apart:
// a restart storm changes some instance's state hundreds of times a second, and each write is the whole
// file (about 1 KiB per instance).
void Daemon::schedule_status() {
    if (!status_timer_ || uv_is_active(status_timer_.base())) return;
    const uint64_t now = uv_now(loop_);
    const uint64_t due = status_written_at_ + kStatusEvery;
    uv_timer_start(status_timer_.get(), on_status, status_written_at_ != 0 && due > now ? due - now : 0, 0);
}

void Daemon::on_status(uv_timer_t* timer) { static_cast<Daemon*>(timer->data)->write_status(); }

void Daemon::write_status() {
    status_written_at_ = uv_now(loop_);
    std::vector<const Instance*> instances;
    for_each_instance([&](const Instance& instance) { instances.push_back(&instance); });
    status_file_.write(instances);
}

void Daemon::on_quiet(Instance& instance) {
    schedule_settle();
    control_.instance_changed(instance);
}

void Daemon::on_memory_changed(Instance&) { schedule_status(); }

void Daemon::on_cooling(Instance& instance, bool cooling, const std::string& reason) {
    schedule_status();
    control_.publish_cooling(instance, cooling, reason);
}


void Daemon::on_kernel_oom(const kmsg::OomReport& report) {
    Instance* victim = nullptr;
    for_each_instance([&](Instance& instance) {
        const std::string group = instance.cgroup_name();
        const bool same_group = !group.empty() && report.task_memcg.ends_with("/" + cgroup_top_ + "/" + group);
        const bool same_pid = report.pid == instance.pid() || report.pid == instance.last_pid() ||
                              report.pid == instance.investigated_pid();
        if (same_group || (same_pid && group.empty())) victim = &instance;
    });
    if (victim == nullptr) return;  // another tenant's process
    std::string text;
    for (const auto& line : report.lines) text += line + "\n";
    victim->on_kernel_oom(report.pid, report.global, report.killed_line, text);
}

void Daemon::close_handles() {
    control_.close();
    if (metrics_) metrics_->close();
    broker_.close();
    kmsg_.close();
    signals_.clear();
    settle_timer_.close();
    pipes_timer_.close();
    drain_timer_.close();
    sample_timer_.close();
    status_timer_.close();
    notifier_.close();
    reaper_.close();
    restarts_.close();
    loop_watch_.close();
}

}  // namespace corral::supervisor
