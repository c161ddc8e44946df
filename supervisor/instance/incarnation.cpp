#include "supervisor/instance/incarnation.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace corral::supervisor {
namespace {

constexpr uint64_t kGroupPollMs = 10;
// A process stuck in uninterruptible sleep survives SIGKILL until the kernel lets go of it; after this
// long the instance moves on rather than hang.
constexpr uint64_t kGroupGiveUpMs = 5'000;

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (const auto& s : strings) result.push_back(const_cast<char*>(s.c_str()));
    result.push_back(nullptr);
    return result;
}

uv_stdio_container_t output_stdio(uv_pipe_t* pipe) {
    uv_stdio_container_t stdio{};
    if (pipe == nullptr) {
        stdio.flags = UV_IGNORE;
    } else {
        stdio.flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
        stdio.data.stream = reinterpret_cast<uv_stream_t*>(pipe);
    }
    return stdio;
}

// The child's descriptors: stdin /dev/null, stdout and stderr to their pipes, the IPC channel at 3, the
// exec report at kExecReportFd, a standby's go socket at kExecStandbyFd (a standby gets the rest at
// activate()), and the service's listening sockets from kExecListenFd on (the shim moves them to 3..).
std::vector<uv_stdio_container_t> fill_stdio(const SpawnRequest& request, int report_fd, int go_fd) {
    std::vector<uv_stdio_container_t> stdio(request.listen_fds.empty() ? 6 : kExecListenFd + request.listen_fds.size());
    stdio[0].flags = UV_IGNORE;
    stdio[1] = output_stdio(request.standby ? nullptr : request.stdout_pipe);
    stdio[2] = output_stdio(request.standby ? nullptr : request.stderr_pipe);
    if (request.ipc_fd >= 0 && !request.standby) {
        stdio[3].flags = UV_INHERIT_FD;  // NODE_CHANNEL_FD=3
        stdio[3].data.fd = request.ipc_fd;
    } else {
        stdio[3].flags = UV_IGNORE;
    }
    stdio[kExecReportFd].flags = UV_INHERIT_FD;
    stdio[kExecReportFd].data.fd = report_fd;
    if (request.standby) {
        stdio[kExecStandbyFd].flags = UV_INHERIT_FD;
        stdio[kExecStandbyFd].data.fd = go_fd;
    } else {
        stdio[kExecStandbyFd].flags = UV_IGNORE;
    }
    for (std::size_t n = 0; n < request.listen_fds.size(); ++n) {
        stdio[kExecListenFd + n].flags = UV_INHERIT_FD;
        stdio[kExecListenFd + n].data.fd = request.listen_fds[n];
    }
    return stdio;
}

}  // namespace

Incarnation::Incarnation(uv_loop_t* loop, OrphanReaper& reaper, IncarnationOwner& owner)
    : loop_(loop), reaper_(reaper), owner_(&owner) {}

Incarnation::~Incarnation() {
    if (pid_ > 0 && !exited_) reaper_.disown(pid_);  // closing the handle leaves the reaping to the reaper
}

int Incarnation::spawn(uv_loop_t* loop, OrphanReaper& reaper, IncarnationOwner& owner, const SpawnRequest& request,
                       std::unique_ptr<Incarnation>& out) {
    // The exec report pipe: the child's end sits at kExecReportFd and the shim marks it close-on-exec.
    uv_file fds[2];
    if (const int rc = uv_pipe(fds, 0, 0); rc < 0) return rc;
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);

    // A standby's go socket: its end at kExecStandbyFd, ours kept for activate().
    UniqueFd go_ours;
    UniqueFd go_theirs;
    if (request.standby) {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return uv_translate_sys_error(errno);
        go_ours.reset(pair[0]);
        go_theirs.reset(pair[1]);
    }

    std::vector<char*> argv = c_strings(request.argv);
    std::vector<char*> env = c_strings(request.env);
    const std::string cwd = request.cwd.string();

    std::vector<uv_stdio_container_t> stdio = fill_stdio(request, write_end.get(), go_theirs.get());

    uv_process_options_t options{};
    options.exit_cb = on_exit;
    options.file = argv[0];
    options.args = argv.data();
    options.env = env.data();
    options.cwd = cwd.empty() ? nullptr : cwd.c_str();
    options.flags = UV_PROCESS_DETACHED;  // setsid(): its own session and process group
    options.stdio_count = request.standby || !request.listen_fds.empty() ? static_cast<int>(stdio.size()) : 5;
    options.stdio = stdio.data();

    std::unique_ptr<Incarnation> self(new Incarnation(loop, reaper, owner));
    auto* process = new uv_process_t{};
    const int rc = uv_spawn(loop, process, &options);
    process->data = self.get();
    self->process_.adopt(process);  // initialized even when the spawn failed
    if (rc < 0) return rc;

    self->pid_ = process->pid;
    self->group_ = request.group;
    self->loop_watch_ = request.loop_watch;
    reaper.own(self->pid_);
    write_end.reset();
    self->go_fd_ = std::move(go_ours);

    const int flags = fcntl(read_end.get(), F_GETFL);
    fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK);
    self->report_fd_ = std::move(read_end);
    if (self->report_poll_.init(uv_poll_init, loop, self->report_fd_.get()) == 0) {
        self->report_poll_.get()->data = self.get();
        uv_poll_start(self->report_poll_.get(), UV_READABLE | UV_DISCONNECT, on_report_ready);
    }
    out = std::move(self);
    return 0;
}

void Incarnation::signal_group(int signal) {
    if (pid_ <= 0) return;
    if (signal == SIGKILL && !killed_) {
        killed_ = true;
        kill_deadline_ = uv_now(loop_) + kGroupGiveUpMs;
    }
    // The cgroup holds the whole process group and more; signalling both would deliver the stop signal
    // twice to every process (and run a graceful-shutdown handler twice).
    if (group_ != nullptr && group_->signal(signal, pid_)) return;
    // No cgroup, or its files cannot be used (out of descriptors, a broken mount): the process group,
    // then every process the cgroup was last seen with (those that left the process group).
    if (::kill(-pid_, signal) != 0 && errno != ESRCH) {
        spdlog::warn("cannot send {} to process group {}: {}", signal, pid_, std::strerror(errno));
    }
    if (group_ == nullptr) return;
    for (const pid_t pid : group_->known_pids()) {
        if (::getpgid(pid) != pid_) ::kill(pid, signal);
    }
}

bool Incarnation::activate(UniqueFd out, UniqueFd err, UniqueFd channel) {
    if (!go_fd_ || exited_) return false;
    unsigned char go = exec::kGoMark;
    int fds[3];
    int count = 0;
    if (out) {
        go |= exec::kGoStdout;
        fds[count++] = out.get();
    }
    if (err) {
        go |= exec::kGoStderr;
        fds[count++] = err.get();
    }
    if (channel) {
        go |= exec::kGoChannel;
        fds[count++] = channel.get();
    }
    iovec iov{&go, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] = {};
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    if (count > 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(count * sizeof(int));
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(count * sizeof(int));
        std::memcpy(CMSG_DATA(header), fds, count * sizeof(int));
    }
    ssize_t sent;
    do {
        sent = ::sendmsg(go_fd_.get(), &message, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    go_fd_.reset();
    return sent == 1;
}

void Incarnation::on_report_ready(uv_poll_t* poll, int, int) { static_cast<Incarnation*>(poll->data)->read_report(); }

void Incarnation::read_report() {
    if (reported_exec_) return;
    char text[32];
    ssize_t n;
    do {
        n = ::read(report_fd_.get(), text, sizeof text - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    reported_exec_ = true;
    report_poll_.close();
    report_fd_.reset();
    owner_->on_exec(parse_exec_report(std::string_view(text, n > 0 ? static_cast<std::size_t>(n) : 0)));
}

// libuv collects every child that exited before it calls their callbacks; one of those callbacks may
// close another's handle (a stop that SIGKILLs a group takes the standby with it), whose callback can
// still come, with `data` cleared by UvHandle::close: that Incarnation is gone, and so is its interest.
void Incarnation::on_exit(uv_process_t* process, int64_t exit_status, int term_signal) {
    if (auto* self = static_cast<Incarnation*>(process->data)) self->handle_exit(exit_status, term_signal);
}

void Incarnation::handle_exit(int64_t exit_status, int term_signal) {
    exited_ = true;
    reaper_.disown(pid_);
    status_.code = static_cast<int>(exit_status);
    status_.signal = term_signal;
    const policies::TimePoint now = policies::Clock::now();
    status_.ended_at = loop_watch_ != nullptr ? loop_watch_->exit_time(now) : now;
    // The child is dead, so the report pipe holds its final word (data or EOF) already: read it now so
    // that the owner hears about the exec before it hears about the exit.
    read_report();
    if (!reported_exec_) {
        reported_exec_ = true;
        report_poll_.close();
        report_fd_.reset();
    }
    if (group_timer_.init(uv_timer_init, loop_) == 0) group_timer_.get()->data = this;
    check_group();
}

bool Incarnation::group_alive() {
    // Members re-parented to the daemon (it is a subreaper) stay zombies until waited for.
    int status;
    while (waitpid(-pid_, &status, WNOHANG) > 0) {
    }
    if (::kill(-pid_, 0) == 0 || errno == EPERM) return true;
    return group_ != nullptr && group_->populated();
}

void Incarnation::on_group_poll(uv_timer_t* timer) { static_cast<Incarnation*>(timer->data)->check_group(); }

void Incarnation::check_group() {
    if (group_alive()) {
        if (!group_timer_) {
            spdlog::error("process group {} outlives its leader and cannot be watched", pid_);
        } else {
            if (!uv_is_active(group_timer_.base())) {
                uv_timer_start(group_timer_.get(), on_group_poll, kGroupPollMs, kGroupPollMs);
                if (!stopping_) signal_group(SIGKILL);  // leftovers of a process that died by itself
            }
            if (!killed_ || uv_now(loop_) < kill_deadline_) return;
            spdlog::warn("process group {} survived SIGKILL for {} ms; moving on without it", pid_, kGroupGiveUpMs);
        }
    }
    group_timer_.close();
    owner_->on_gone(status_);  // may destroy this
}

}  // namespace corral::supervisor
