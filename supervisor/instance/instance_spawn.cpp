// Instance: a new incarnation. Its cgroup (made once, before the first start), its memory watch, its
// output captures, its Node IPC channel and its environment, then the exec shim.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <map>

#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "base/fd_reserve.hpp"
#include "base/instance_name.hpp"
#include "base/text_format.hpp"
#include "ipc/channel_socket.hpp"
#include "policies/signal_names.hpp"
#include "supervisor/agent/runtime_report.hpp"
#include "supervisor/agent/stack_request.hpp"
#include "supervisor/instance/exec_shim.hpp"
#include "supervisor/instance/instance.hpp"

extern char** environ;

namespace corral::supervisor {

using policies::EventKind;

namespace {

constexpr std::chrono::minutes kTimelineSpan{10};
constexpr policies::ExitStatus kSpawnFailed{.code = 0, .signal = 0, .spawn_failed = true};

// Variables a Node parent sets for its own child; inherited by accident they would make a Node service
// open a channel to nothing. systemd's NOTIFY_SOCKET and WATCHDOG_* are the daemon's: a service that
// inherited them would speak for the whole unit (sd_notify from a Node module, READY=1 or a watchdog ping).
bool inherited_by_accident(std::string_view name) {
    return name == "NODE_CHANNEL_FD" || name == "NODE_CHANNEL_SERIALIZATION_MODE" || name == "NODE_UNIQUE_ID" ||
           name.starts_with("LISTEN_") || name == "CORRAL_LISTEN" || name == "NOTIFY_SOCKET" ||
           name.starts_with("WATCHDOG_");
}

// CORRAL_LISTEN for the agent: the held sockets in fd order.
std::string listen_json(const config::ListenSpec& spec) {
    nlohmann::json list = nlohmann::json::array();
    int fd = 3;
    for (const auto& address : spec.addresses) {
        nlohmann::json entry = {{"fd", fd++}, {"address", address.text}, {"backlog", spec.backlog}};
        if (address.tcp()) {
            entry["host"] = address.host;
            entry["port"] = address.port;
        } else {
            entry["path"] = address.path.string();
        }
        list.push_back(std::move(entry));
    }
    return list.dump();
}

// What uv_spawn's error means for the user; E2BIG is libuv's "argument list too long" with no hint.
std::string start_error(int rc) {
    if (rc == UV_E2BIG) return "argument list too long (its command and environment exceed the kernel's limit)";
    if (rc == UV_EMFILE || rc == UV_ENFILE) return std::string(uv_strerror(rc)) + " (the daemon is out of descriptors)";
    return uv_strerror(rc);
}

}  // namespace

void Instance::spawn() {
    // Descriptors freed since the reserve was last used go back to it before this start takes any: at the
    // limit, control (the socket, stop and kill) comes before starting services.
    fd_reserve().refill();
    if (std::exchange(group_failed_ahead_, false) || !make_group()) {
        handle({EventKind::gone, kSpawnFailed});
        return;
    }
    if (spawn_from_standby()) return;
    prepare_diagnostics();
    prepare_memory_watch();
    const InstanceOutput::Pipes pipes = output_.prepare(spec_->logs.timestamps);
    SpawnRequest request = spawn_request(pipes);
    std::optional<ipc::ChannelSocket> channel = open_channel();
    if (channel) request.ipc_fd = channel->theirs.get();

    if (const int rc = Incarnation::spawn(context_.loop, *context_.reaper, *this, request, incarnation_); rc < 0) {
        spdlog::error("{}: cannot start {}: {}", name_, clip_for_log(spec_->command.front()), start_error(rc));
        output_.abandon();
        handle({EventKind::gone, kSpawnFailed});
        return;
    }
    began(channel);
}

// The new incarnation runs: its channel goes to the broker, its death will be investigated, its output read.
void Instance::began(std::optional<ipc::ChannelSocket>& channel) {
    last_pid_ = incarnation_->pid();
    if (channel) {
        const auto mode = spec_->ipc == config::IpcMode::advanced ? ipc::Serialization::advanced : ipc::Serialization::json;
        channel_id_ = context_.broker->attach(spec_->name, index_, mode, channel->ours.release(),
                                              channel->their_send_buffer, attach_options());
    }
    death_.begin(last_pid_, std::chrono::system_clock::now(), monitor_.get());
    output_.started();
}

SpawnRequest Instance::spawn_request(const InstanceOutput::Pipes& pipes, bool standby) const {
    SpawnRequest request;
    if (context_.listen != nullptr) request.listen_fds = context_.listen->fds(spec_->listen);
    if (request.listen_fds.empty() && !spec_->listen.addresses.empty()) {
        spdlog::error("{}: its listening sockets are not held; it starts without them", name_);
    }
    const ShimPlacement placement{.standby = standby, .listen_fds = request.listen_fds.size(), .channel = has_channel()};
    request.argv = exec_shim_argv(context_.exec_shim, static_cast<int>(getpid()),
                                  group_ ? group_->join_targets() : std::vector<cgroup::JoinTarget>{}, spec_->command,
                                  placement);
    request.standby = standby;
    request.env = child_environment();
    request.cwd = spec_->cwd;
    request.stdout_pipe = pipes.out;
    request.stderr_pipe = pipes.err;
    request.group = group_.get();
    request.loop_watch = context_.loop_watch;
    return request;
}

// False when the instance may not start: its cgroup could not be made and cgroups are required.
bool Instance::make_group() {
    if (context_.cgroups == nullptr || group_) return true;
    const std::string generation = generation_ > 0 ? "." + std::to_string(generation_) : "";
    group_ = InstanceGroup::create(*context_.cgroups, name_, spec_->name + "/" + std::to_string(index_) + generation,
                                   group_limits(*spec_));
    return group_ || !context_.cgroups_required;
}

void Instance::prepare_memory_watch() {
    if (!group_) return;
    if (!monitor_) {
        const auto interval = std::max<std::int64_t>(1, context_.supervisor.sample_interval.count());
        const auto capacity = static_cast<std::size_t>(std::chrono::milliseconds(kTimelineSpan).count() / interval);
        MemoryMonitor::Owner& owner = *this;  // a private base: make_unique cannot convert it
        monitor_ = std::make_unique<MemoryMonitor>(context_.loop, *context_.cgroups, name_, group_->name(), owner,
                                                   capacity);
        memory_actions_ = std::make_unique<MemoryActions>(context_.loop, *context_.cgroups, name_, group_->name());
    }
    monitor_->start_incarnation(spec_->memory_watch);
}

// What an earlier incarnation left without dying (a snapshot before a clean stop) goes. The directory
// itself stays: usually it is there and empty, and a restart storm would otherwise remove and make it
// again at every death.
void Instance::prepare_diagnostics() {
    if (!spec_->node_diagnostics) return;
    const std::filesystem::path dir = diagnostics_dir();
    std::error_code listed;
    for (const auto& entry : std::filesystem::directory_iterator(dir, listed)) {
        std::error_code removed;
        std::filesystem::remove_all(entry.path(), removed);
    }
    if (listed) {
        std::error_code made;
        std::filesystem::create_directories(dir, made);
    }
}

std::filesystem::path Instance::diagnostics_dir() const {
    return context_.supervisor.state_dir / "diagnostics" / instance_file_name(spec_->name, index_);
}

bool Instance::has_channel() const { return context_.broker != nullptr && spec_->ipc != config::IpcMode::off; }

std::optional<ipc::ChannelSocket> Instance::open_channel() const {
    if (!has_channel()) return std::nullopt;
    Result<ipc::ChannelSocket> socket = ipc::make_channel_socket(ipc::instance_send_buffer(spec_->limits.memory.max));
    if (!socket) {
        spdlog::error("{}: no IPC channel: {}", name_, socket.error().message());
        return std::nullopt;
    }
    return std::move(*socket);
}

// systemd's protocol (LISTEN_PID comes from the exec shim) and CORRAL_LISTEN for the agent.
void Instance::add_listen_environment(std::map<std::string, std::string>& vars) const {
    const config::ListenSpec& listen = spec_->listen;
    std::string names;
    for (const auto& address : listen.addresses) names += (names.empty() ? "" : ":") + address.name;
    vars["LISTEN_FDS"] = std::to_string(listen.addresses.size());
    vars["LISTEN_FDNAMES"] = names;
    vars["CORRAL_LISTEN"] = listen_json(listen);
    vars["CORRAL_STOP_SIGNAL"] = policies::signal_name(spec_->stop.signal);
}

bool Instance::reports_runtime() const {
    return spec_->node_agent && has_channel() && spec_->ipc == config::IpcMode::json && !context_.agent.empty();
}

// The agent, for the held sockets (listen_adopt) and for runtime reports.
void Instance::add_agent(std::map<std::string, std::string>& vars) const {
    const bool adopt = !spec_->listen.addresses.empty() && spec_->listen.adopt;
    if (context_.agent.empty() || (!adopt && !reports_runtime())) return;
    if (reports_runtime()) {
        vars[std::string(agent::kRuntimeReportEnv)] = std::to_string(context_.supervisor.sample_interval.count());
        if (spec_->liveness && spec_->node_diagnostics) vars[std::string(agent::kStackDirEnv)] = diagnostics_dir().string();
    }
    std::string& options = vars["NODE_OPTIONS"];
    options += std::string(options.empty() ? "" : " ") + "--require \"" + context_.agent.string() + "\"";
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
    const std::size_t sockets = spec_->listen.addresses.size();
    if (sockets > 0) add_listen_environment(vars);
    add_agent(vars);
    if (has_channel()) {
        vars["NODE_CHANNEL_FD"] = std::to_string(3 + sockets);
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

}  // namespace corral::supervisor
