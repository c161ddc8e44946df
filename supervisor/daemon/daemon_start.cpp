#include "supervisor/daemon/daemon_start.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "base/exit_codes.hpp"
#include "base/fd_limit.hpp"
#include "base/fd_reserve.hpp"
#include "base/priority.hpp"
#include "base/signals_held.hpp"
#include "base/unique_fd.hpp"
#include "supervisor/daemon/cgroup_setup.hpp"
#include "supervisor/daemon/daemon.hpp"
#include "supervisor/daemon/daemon_log.hpp"
#include "supervisor/daemon/state_dir.hpp"
#include "supervisor/registry/registry.hpp"
#include "supervisor/registry/runtime_dir.hpp"

namespace corral::supervisor {
namespace {

constexpr int kReadyTimeoutMs = 30'000;

// Where the end of the start-up is told: stderr in the foreground; in a detached daemon, the pipe to the
// `corral up -d` that waits for it ("ready <pid>\n", or the error).
class StartupReport {
public:
    StartupReport() = default;
    explicit StartupReport(int fd) : fd_(fd) {}

    bool detached() const { return static_cast<bool>(fd_); }
    int fail(const std::string& message) {
        if (fd_) {
            (void)!::write(fd_.get(), message.data(), message.size());
            fd_.reset();
        } else {
            std::fprintf(stderr, "corral: %s\n", message.c_str());
        }
        return kExitFailed;
    }
    void ready() {
        if (!fd_) return;
        const std::string text = "ready " + std::to_string(::getpid()) + "\n";
        (void)!::write(fd_.get(), text.data(), text.size());
        fd_.reset();
    }

private:
    UniqueFd fd_;
};

// Descriptors kept back for control at the limit (base/fd_reserve.hpp): control-socket clients, and the
// cgroup files that stop and kill services.
constexpr std::size_t kReservedFds = 8;

// 1000 clients on the control socket, plus several descriptors per instance: the default soft limit of
// 1024 is short. Then the reserve.
void prepare_descriptors() {
    if (Result<FdLimit> limit = raise_fd_limit(); !limit) {
        spdlog::warn("{}", limit.error().message());
    } else if (limit->soft != limit->before) {
        spdlog::info("open files limit raised from {} to {}", limit->before, limit->soft);
    } else {
        spdlog::debug("open files limit {}", limit->soft);
    }
    fd_reserve().fill(kReservedFds);
}

// Before any thread is made (the journal writer's, libuv's pool): they take the level of their creator.
void prepare_priority() {
    if (Result<Priority> priority = raise_priority(); !priority) {
        spdlog::info("{} (it stays at the level it was started with)", priority.error().message());
    } else if (priority->now != priority->before) {
        spdlog::debug("nice level {} (services get {})", priority->now, priority->before);
    }
    if (yield_on_wakeup()) spdlog::debug("scheduling policy SCHED_BATCH (services get SCHED_OTHER)");
}

// The path of the corral binary (services start through its exec shim), or "" with `error` saying why.
std::string own_executable(std::string& error) {
    char exe[PATH_MAX];
    size_t exe_size = sizeof exe;
    if (const int rc = uv_exepath(exe, &exe_size); rc < 0) {
        error = std::string("cannot find its own executable: ") + uv_strerror(rc);
        return {};
    }
    return std::string(exe, exe_size);
}

// Puts the daemon in the runtime directory for `corral ls` and --all; a daemon that cannot is still a
// daemon (found through its state directory), so this only warns.
registry::Registration register_daemon(const registry::Entry& entry) {
    const auto dir = registry::open_runtime_dir(registry::runtime_dir_path());
    if (!dir) {
        spdlog::warn("not registered for corral ls: {}", dir.error().message());
        return {};
    }
    auto registration = registry::Registration::create(*dir, entry);
    if (!registration) {
        spdlog::warn("not registered for corral ls: {}", registration.error().message());
        return {};
    }
    return std::move(*registration);
}

// The sockets the services listen on, bound before anything starts; nullptr with `error` saying why not.
std::unique_ptr<ListenSockets> bind_sockets(const config::Config& config, std::string& error) {
    auto listen = std::make_unique<ListenSockets>();
    const std::vector<std::string> errors = listen->apply(config.services, config.file);
    if (errors.empty()) return listen;
    error = "cannot listen where the services ask:";
    for (const auto& each : errors) error += "\n  " + each;
    return nullptr;
}

// [supervisor] metrics, bound before anything starts (the daemon serves it); false with `error` saying why not.
bool bind_metrics(const config::Config& config, UniqueFd& listener, std::string& error) {
    const auto& address = config.supervisor.metrics;
    if (!address) return true;
    Result<UniqueFd> bound = metrics::listen_tcp(address->host, address->port);
    if (!bound) {
        error = "[supervisor] metrics: " + bound.error().message();
        return false;
    }
    listener = std::move(*bound);
    return true;
}

int run_daemon(config::Config config, StartupReport& report, const ForegroundOptions& foreground = {}) {
    std::string error;
    std::optional<StateDir> state = StateDir::open(config.supervisor.state_dir, error);
    if (!state) return report.fail(error);
    if (!setup_daemon_log(state->daemon_log(), !report.detached(), error)) {
        spdlog::warn("cannot write {}: {}", state->daemon_log().string(), error);
    }
    std::signal(SIGPIPE, SIG_IGN);
    SignalsHeld stop_signals(kDaemonSignals);  // until the daemon watches them
    prepare_descriptors();
    prepare_priority();

    const std::string exe = own_executable(error);
    if (exe.empty()) return report.fail(error);

    CgroupSetup cgroups = setup_cgroups(config);
    if (!cgroups.error.empty()) {
        spdlog::error("{}", cgroups.error);
        return report.detached() ? report.fail(cgroups.error) : kExitFailed;
    }
    const std::string why_no_cgroups = config.supervisor.cgroups == config::CgroupMode::off ? "cgroups = \"off\""
                                                                                         : "cgroups are not available on this host";
    if (!accept_limits(config, cgroups.driver.get(), why_no_cgroups)) {
        const std::string message = "refusing to start: cgroups = \"required\" and limits cannot be applied (see " +
                                    state->daemon_log().string() + ")";
        spdlog::error("{}", message);
        return report.detached() ? report.fail(message) : kExitFailed;
    }
    std::unique_ptr<ListenSockets> listen = bind_sockets(config, error);
    if (!listen) return report.fail(error);
    UniqueFd metrics_listener;
    if (!bind_metrics(config, metrics_listener, error)) return report.fail(error);
    uv_loop_t loop;
    if (const int rc = uv_loop_init(&loop); rc < 0) {
        return report.fail(std::string("cannot create the event loop: ") + uv_strerror(rc));
    }
    const registry::Entry entry = registry::entry_of_this_daemon(
        config.supervisor.state_dir / "corral.sock", config.file, config.supervisor.state_dir);
    registry::Registration registration;  // from the moment the socket listens until the daemon is done
    int code;
    int program_code = 0;
    {
        Daemon daemon(&loop, std::move(config), exe, std::move(cgroups.driver), why_no_cgroups,
                      std::move(listen));
        daemon.set_foreground(foreground);
        daemon.serve_metrics(std::move(metrics_listener));
        stop_signals.release();
        code = daemon.run([&] {
            registration = register_daemon(entry);
            report.ready();
        });
        program_code = daemon.program_exit_code();
    }
    registration.remove();
    uv_run(&loop, UV_RUN_DEFAULT);  // the close callbacks of the handles closed above
    if (uv_loop_close(&loop) != 0) spdlog::error("internal error: handles still open at exit");
    if (code != kExitOk) report.fail("the daemon could not start; see " + state->daemon_log().string());
    spdlog::shutdown();
    return code != kExitOk ? code : program_code;
}

// Reads what the detached daemon reports, until EOF or the timeout.
std::string wait_for_report(int fd) {
    std::string text;
    pollfd watch{fd, POLLIN, 0};
    char buffer[4096];
    while (::poll(&watch, 1, kReadyTimeoutMs) > 0) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

}  // namespace

int run_in_foreground(config::Config config, const ForegroundOptions& options) {
    StartupReport report;
    return run_daemon(std::move(config), report, options);
}

int run_detached(config::Config config) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        std::fprintf(stderr, "corral: cannot create a pipe: %s\n", std::strerror(errno));
        return kExitFailed;
    }
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    const std::string state_dir = config.supervisor.state_dir.string();
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child < 0) {
        std::fprintf(stderr, "corral: cannot fork: %s\n", std::strerror(errno));
        return kExitFailed;
    }
    if (child == 0) {
        // Its own session, then a grandchild that is not a session leader: it can never acquire a
        // controlling terminal, and init (or a subreaper) inherits it.
        read_end.reset();
        ::setsid();
        if (::fork() != 0) ::_exit(0);
        const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
        if (null > 2) ::close(null);
        StartupReport report(write_end.release());
        ::_exit(run_daemon(std::move(config), report));
    }
    write_end.reset();
    int status = 0;
    ::waitpid(child, &status, 0);
    const std::string report = wait_for_report(read_end.get());
    if (report.rfind("ready ", 0) == 0) {
        const std::string pid = report.substr(6, report.find('\n') - 6);
        std::printf("corral: daemon started (pid %s); socket %s/corral.sock; log %s/corral.log\n", pid.c_str(),
                    state_dir.c_str(), state_dir.c_str());
        return kExitOk;
    }
    std::fprintf(stderr, "corral: %s\n",
                 report.empty() ? ("the daemon did not report back; see " + state_dir + "/corral.log").c_str()
                                : report.c_str());
    return kExitFailed;
}

}  // namespace corral::supervisor
