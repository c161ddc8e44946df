#include "supervisor/instance/instance.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <map>

#include "base/instance_name.hpp"
#include "supervisor/instance/exec_shim.hpp"
#include "supervisor/instance/required_timer.hpp"

extern char** environ;

namespace corral::supervisor {

using policies::Action;
using policies::EventKind;
using policies::State;

namespace {

// Variables a Node parent sets for its own child; inherited by accident they would make a Node service
// open a channel to nothing.
bool inherited_by_accident(std::string_view name) {
    return name == "NODE_CHANNEL_FD" || name == "NODE_CHANNEL_SERIALIZATION_MODE" || name == "NODE_UNIQUE_ID";
}

spdlog::level::level_enum level_for(State to) {
    switch (to) {
        case State::failed: return spdlog::level::err;
        case State::backoff: return spdlog::level::warn;
        default: return spdlog::level::info;
    }
}

}  // namespace

Instance::Instance(const InstanceContext& context, std::shared_ptr<const config::ServiceSpec> spec, unsigned index)
    : context_(context),
      spec_(std::move(spec)),
      index_(index),
      name_(instance_name(spec_->name, index)),
      out_log_(context.log_dir / (instance_file_name(spec_->name, index) + ".out.log"), spec_->logs.max_size,
               spec_->logs.keep),
      err_log_(context.log_dir / (instance_file_name(spec_->name, index) + ".err.log"), spec_->logs.max_size,
               spec_->logs.keep),
      timer_(required_timer(context.loop, name_, this)),
      kill_timer_(required_timer(context.loop, name_, this)),
      death_(context.loop, *this,
             {name_, spec_->name, index_, context.supervisor.state_dir, context.supervisor.postmortem,
              out_log_.path(), err_log_.path()}),
      cooling_(context.loop, *this, {name_, spec_->name, index_, context.broker, context.cgroups}) {}

Instance::~Instance() {
    // The daemon destroys only quiet instances; anything still running here would escape supervision.
    if (incarnation_) incarnation_->signal_group(SIGKILL);
}

void Instance::start() { handle({EventKind::start}); }

// A frozen process cannot act on its stop signal: it is thawed first (it gets no messages meanwhile).
void Instance::stop() {
    cooling_.thaw();
    handle({EventKind::stop});
}

void Instance::restart() {
    cooling_.thaw();
    handle({EventKind::restart});
}

void Instance::kill_now() {
    cooling_.thaw();
    if (incarnation_) incarnation_->signal_group(SIGKILL);
}

void Instance::update_spec(std::shared_ptr<const config::ServiceSpec> spec) {
    if (group_ && spec->limits != spec_->limits) group_->set_limits(spec->limits);
    spec_ = std::move(spec);
    out_log_.set_limits(spec_->logs.max_size, spec_->logs.keep);
    err_log_.set_limits(spec_->logs.max_size, spec_->logs.keep);
}

bool Instance::quiet() const {
    if (!policies::is_down(lifecycle_.state) || incarnation_ || death_.open()) return false;
    for (const auto& capture : captures_) {
        if (!capture->closed()) return false;
    }
    return true;
}

policies::LifecyclePolicy Instance::lifecycle_policy() const {
    return {spec_->restart, spec_->backoff, spec_->start_limit};
}

void Instance::handle(const policies::Event& event) {
    const State from = lifecycle_.state;
    policies::Decision decision = policies::decide(lifecycle_, event, lifecycle_policy(), policies::Clock::now());
    if (decision.reason.empty()) {
        spdlog::debug("{}: {} ignored in state {}", name_, policies::to_string(event.kind), policies::to_string(from));
        return;
    }
    lifecycle_ = std::move(decision.next);
    const State to = lifecycle_.state;
    const pid_t shown_pid = incarnation_ ? incarnation_->pid() : (event.kind == EventKind::gone ? last_pid_ : 0);
    const std::string who = shown_pid > 0 ? name_ + " [pid " + std::to_string(shown_pid) + "]" : name_;
    if (from != to) {
        spdlog::log(level_for(to), "{}: {} -> {}: {}", who, policies::to_string(from), policies::to_string(to),
                    decision.reason);
    } else {
        spdlog::log(decision.action == Action::kill ? spdlog::level::warn : spdlog::level::info, "{}: {}", who,
                    decision.reason);
    }
    // Observers hear about this transition before apply() can cause the next one.
    if (from != to) context_.observer->on_transition(*this, from, to, decision.reason);
    apply(decision);
}

void Instance::apply(const policies::Decision& decision) {
    switch (decision.action) {
        case Action::none: break;
        case Action::spawn:
            uv_timer_stop(timer_.get());
            spawn();
            break;
        case Action::send_stop_signal:
            if (incarnation_) {
                incarnation_->mark_stopping();
                incarnation_->signal_group(spec_->stop.signal);
            }
            arm_timer(EventKind::stop_timeout, spec_->stop.timeout);
            break;
        case Action::kill:
            if (incarnation_) incarnation_->signal_group(SIGKILL);
            break;
        case Action::arm_backoff: arm_timer(EventKind::backoff_elapsed, decision.delay); break;
        case Action::cancel_timer: uv_timer_stop(timer_.get()); break;
    }
}

void Instance::arm_timer(EventKind event, policies::Duration delay) {
    timer_event_ = event;
    uv_timer_start(timer_.get(), on_timer, static_cast<uint64_t>(delay.count()), 0);
}

void Instance::on_timer(uv_timer_t* timer) {
    auto* self = static_cast<Instance*>(timer->data);
    self->handle({self->timer_event_});
}

void Instance::on_capture_closed(void* self) {
    auto* instance = static_cast<Instance*>(self);
    if (instance->death_.reconsider()) return;
    if (instance->quiet()) instance->context_.observer->on_quiet(*instance);
}

void Instance::spawn() {
    if (context_.cgroups != nullptr && !group_) {
        group_ = InstanceGroup::create(*context_.cgroups, name_, spec_->name + "/" + std::to_string(index_),
                                       spec_->limits);
        if (!group_ && context_.cgroups_required) {
            handle({EventKind::gone, policies::ExitStatus{.code = 0, .signal = 0, .spawn_failed = true}});
            return;
        }
    }
    prepare_memory_watch();
    std::erase_if(captures_, [](const auto& capture) { return capture->closed(); });
    stderr_capture_ = nullptr;
    out_log_.create();
    err_log_.create();
    const bool timestamps = spec_->logs.timestamps;
    auto out = std::make_unique<OutputCapture>(context_.loop, out_log_, timestamps, on_capture_closed, this);
    auto err = std::make_unique<OutputCapture>(context_.loop, err_log_, timestamps, on_capture_closed, this);
    out->set_line_hook(on_stdout_lines);
    err->set_line_hook(on_stderr_lines);

    SpawnRequest request;
    request.argv = exec_shim_argv(context_.corral_exe, static_cast<int>(getpid()),
                                  group_ ? group_->join_targets() : std::vector<cgroup::JoinTarget>{}, spec_->command);
    request.env = child_environment();
    request.cwd = spec_->cwd;
    request.stdout_pipe = out->pipe();
    request.stderr_pipe = err->pipe();
    request.group = group_.get();
    std::optional<ipc::ChannelSocket> channel = open_channel();
    if (channel) request.ipc_fd = channel->theirs.get();

    const int rc = Incarnation::spawn(context_.loop, *context_.reaper, *this, request, incarnation_);
    if (rc < 0) {
        spdlog::error("{}: cannot start {}: {}", name_, spec_->command.front(), uv_strerror(rc));
        out->abandon();
        err->abandon();
        handle({EventKind::gone, policies::ExitStatus{.code = 0, .signal = 0, .spawn_failed = true}});
        return;
    }
    last_pid_ = incarnation_->pid();
    if (channel) {
        const auto mode = spec_->ipc == config::IpcMode::advanced ? ipc::Serialization::advanced : ipc::Serialization::json;
        context_.broker->attach(spec_->name, index_, mode, channel->ours.release(), channel->their_send_buffer);
    }
    death_.begin(last_pid_, std::chrono::system_clock::now(), monitor_.get());
    out->start();
    err->start();
    stderr_capture_ = err.get();
    captures_.push_back(std::move(out));
    captures_.push_back(std::move(err));
}

bool Instance::has_channel() const { return context_.broker != nullptr && spec_->ipc != config::IpcMode::off; }

std::optional<ipc::ChannelSocket> Instance::open_channel() const {
    if (!has_channel()) return std::nullopt;
    Result<ipc::ChannelSocket> socket = ipc::make_channel_socket();
    if (!socket) {
        spdlog::error("{}: no IPC channel: {}", name_, socket.error().message());
        return std::nullopt;
    }
    return std::move(*socket);
}

std::vector<std::string> Instance::child_environment() const {
    std::map<std::string, std::string> vars;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text = *entry;
        const auto eq = text.find('=');
        if (eq == std::string_view::npos || inherited_by_accident(text.substr(0, eq))) continue;
        vars.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
    for (const auto& [name, value] : spec_->env) vars[name] = value;
    if (has_channel()) {
        vars["NODE_CHANNEL_FD"] = "3";
        if (spec_->ipc == config::IpcMode::advanced) vars["NODE_CHANNEL_SERIALIZATION_MODE"] = "advanced";
    }
    if (spec_->node_diagnostics) {
        // Quoted for NODE_OPTIONS, which splits at spaces.
        const std::string dir = "\"" + diagnostics_dir().string() + "\"";
        std::string& options = vars["NODE_OPTIONS"];
        options += std::string(options.empty() ? "" : " ") + "--report-on-fatalerror --report-directory=" + dir;
        if (spec_->memory_watch.snapshot_at) options += " --diagnostic-dir=" + dir + " --heapsnapshot-signal=SIGUSR2";
    }
    vars["CORRAL_SERVICE"] = spec_->name;
    vars["CORRAL_INSTANCE"] = std::to_string(index_);
    std::vector<std::string> env;
    env.reserve(vars.size());
    for (const auto& [name, value] : vars) env.push_back(name + "=" + value);
    return env;
}

void Instance::on_exec(const ExecReport& report) {
    if (report.error != 0) {
        // The shim exits 127 and on_gone follows.
        if (report.stage == ExecStage::cgroup) {
            spdlog::error("{}: cannot join its cgroup {}: {}", name_, cgroup_name(), std::strerror(report.error));
        } else {
            spdlog::error("{}: cannot execute \"{}\": {}", name_, spec_->command.front(), std::strerror(report.error));
        }
        return;
    }
    cooling_.start(spec_->cooling, cgroup_name(), policies::Clock::now());
    handle({EventKind::exec_ok});
}

void Instance::on_cooling(bool cooling, const std::string& reason) {
    if (context_.observer != nullptr) context_.observer->on_cooling(*this, cooling, reason);
}

void Instance::on_gone(const policies::ExitStatus& status) {
    // Dropped here, inside its own callback: Incarnation allows it, and nothing below needs it.
    const std::unique_ptr<Incarnation> finished = std::move(incarnation_);
    if (context_.broker != nullptr) context_.broker->detach(spec_->name, index_);
    cooling_.end();
    uv_timer_stop(kill_timer_.get());
    death_.exited(status);
}

DeathInvestigation::Circumstances Instance::circumstances() const {
    const bool stderr_open = stderr_capture_ != nullptr && !stderr_capture_->closed();
    return {lifecycle_.state == State::stopping, stderr_open, lifecycle_.restarts, spec_->limits,
            spec_->node_diagnostics ? diagnostics_dir() : std::filesystem::path()};
}

void Instance::on_death_concluded(const DeathInvestigation::Conclusion& conclusion) {
    handle({EventKind::gone, conclusion.status, conclusion.cause});
    if (quiet()) context_.observer->on_quiet(*this);
}

}  // namespace corral::supervisor
