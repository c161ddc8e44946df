#include "supervisor/exec/shim.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace corral::exec {
namespace {

constexpr int kMaxCgroups = 8;
constexpr long kMaxListenFds = 64;
constexpr long kNoNice = 1000;
constexpr unsigned kMaxPath = 4096;

enum class Stage { exec, cgroup };

[[noreturn]] void fail(int report_fd, int err, Stage stage, const char* what, const char* subject) {
    if (report_fd >= 0) {
        char text[32];
        const int n = std::snprintf(text, sizeof text, "%d %s\n", err, stage == Stage::exec ? "exec" : "cgroup");
        if (n > 0) (void)!write(report_fd, text, static_cast<size_t>(n));
    }
    std::fprintf(stderr, "corral: %s \"%.200s%s\": %s\n", what, subject, std::strlen(subject) > 200 ? "..." : "",
                 std::strerror(err));
    _exit(stage == Stage::exec && (err == EACCES || err == ENOEXEC) ? 126 : 127);
}

bool parse_long(const char* text, long& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtol(text, &end, 10);
    return errno == 0 && end != text && *end == '\0';
}

// "FIRST:COUNT": the listening sockets sit at FIRST, FIRST+1, ... (above the report and standby fds).
bool parse_listen(const char* text, long& first, long& count) {
    char* end = nullptr;
    errno = 0;
    first = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != ':' || first < 6) return false;
    const char* rest = end + 1;
    count = std::strtol(rest, &end, 10);
    return errno == 0 && end != rest && *end == '\0' && count >= 1 && count <= kMaxListenFds;
}

// The whole of /proc/self/cgroup, NUL-terminated; false when it cannot be read or does not fit.
bool read_self_cgroup(char* buffer, size_t size) {
    const int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    size_t used = 0;
    for (;;) {
        const ssize_t n = read(fd, buffer + used, size - 1 - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += static_cast<size_t>(n);
        if (used == size - 1) break;
    }
    close(fd);
    buffer[used] = '\0';
    return used > 0 && used < size - 1;
}

// Writes our pid to DIR/cgroup.procs for every "HIERARCHY:DIR", then checks that /proc/self/cgroup agrees.
void join_cgroups(int report_fd, char* const* targets, int count) {
    if (count == 0) return;
    char pid[16];
    const int pid_length = std::snprintf(pid, sizeof pid, "%d", static_cast<int>(getpid()));
    for (int i = 0; i < count; ++i) {
        const char* dir = std::strchr(targets[i], ':') + 1;
        char procs[kMaxPath];
        if (std::snprintf(procs, sizeof procs, "%s/cgroup.procs", dir) >= static_cast<int>(sizeof procs)) {
            fail(report_fd, ENAMETOOLONG, Stage::cgroup, "cannot join cgroup", dir);
        }
        const int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pid, static_cast<size_t>(pid_length)) != pid_length) {
            fail(report_fd, errno, Stage::cgroup, "cannot join cgroup", dir);
        }
        close(fd);
    }
    static char self[16384];
    if (!read_self_cgroup(self, sizeof self)) {
        fail(report_fd, errno != 0 ? errno : EIO, Stage::cgroup, "cannot read", "/proc/self/cgroup");
    }
    for (int i = 0; i < count; ++i) {
        const char* colon = std::strchr(targets[i], ':');
        if (!in_cgroup(self, targets[i], static_cast<unsigned>(colon - targets[i]), colon + 1)) {
            fail(report_fd, EPERM, Stage::cgroup, "not in cgroup after joining it", colon + 1);
        }
    }
}

// The daemon raised its own soft descriptor limit; the program gets the one the daemon was started with.
// Failing to lower it costs the program nothing it asked for: not an error.
void restore_fd_limit(rlim_t soft) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || soft > limit.rlim_max) return;
    limit.rlim_cur = soft;
    setrlimit(RLIMIT_NOFILE, &limit);
}

// Whether the comma-separated `list` holds `name`.
bool lists(const char* list, size_t list_length, const char* name, size_t name_length) {
    size_t start = 0;
    while (start <= list_length) {
        size_t comma = start;
        while (comma < list_length && list[comma] != ',') ++comma;
        if (comma - start == name_length && std::strncmp(list + start, name, name_length) == 0) return true;
        start = comma + 1;
    }
    return false;
}

// A standby's wait: returns once the daemon said go, with the descriptors it sent in place; exits 0 when
// it let go instead.
void wait_for_go(int report_fd, int standby_fd, const char* program) {
    unsigned char go = 0;
    iovec iov{&go, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))];
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = recvmsg(standby_fd, &message, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0 || (go & kGoMark) == 0) _exit(0);
    int fds[3];
    int received = 0;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        const int count = static_cast<int>((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count && received < 3; ++i) std::memcpy(&fds[received++], CMSG_DATA(header) + i * sizeof(int), sizeof(int));
    }
    const unsigned char wanted[3] = {kGoStdout, kGoStderr, kGoChannel};
    int next = 0;
    for (int target = 1; target <= 3; ++target) {
        if ((go & wanted[target - 1]) == 0) {
            if (target == 3) close(3);
            continue;
        }
        if (next >= received) fail(report_fd, EBADF, Stage::exec, "received too few descriptors to run", program);
        if (dup2(fds[next++], target) < 0) fail(report_fd, errno, Stage::exec, "cannot take the descriptors of", program);
    }
    close(standby_fd);  // the received originals are close-on-exec
}

// The daemon may have died between fork and prctl; then nobody would ever stop this process.
void tie_to_daemon(int report_fd, long parent, const char* program) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fail(report_fd, errno, Stage::exec, "cannot set the parent-death signal for", program);
    }
    if (parent > 0 && getppid() != parent) _exit(127);
}

// The daemon runs above the nice level it was started with, and as SCHED_BATCH (base/priority.hpp): the
// program gets both back (lowering one's own priority and leaving SCHED_BATCH are always allowed).
void restore_scheduling(long nice, bool sched_other) {
    if (nice != kNoNice) setpriority(PRIO_PROCESS, 0, static_cast<int>(nice));
    if (!sched_other) return;
    const sched_param param{};
    sched_setscheduler(0, SCHED_OTHER, &param);
}

// `fd` moved to the lowest free descriptor at or above `floor`, close-on-exec.
int move_above(int report_fd, int fd, int floor, const char* program) {
    const int moved = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (moved < 0) fail(report_fd, errno, Stage::exec, "cannot arrange the descriptors of", program);
    close(fd);
    return moved;
}

// The listening sockets, at `first`.. in the shim, go to 3.. (systemd's protocol) and the IPC channel, at 3
// until now, right after them; LISTEN_PID names this process, which the program becomes. Every source is
// moved above every target first, so that none is overwritten before it is placed. Returns the report
// fd's new number (above them all).
int place_listen_fds(int report_fd, int first, int count, bool channel, const char* program) {
    const int floor = (first > 4 ? first : 4) + count + 1;
    int fd = report_fd >= 0 ? move_above(-1, report_fd, floor, program) : -1;
    int sources[kMaxListenFds];
    for (int n = 0; n < count; ++n) sources[n] = move_above(fd, first + n, floor, program);
    const int channel_source = channel ? move_above(fd, 3, floor, program) : -1;
    for (int n = 0; n <= count; ++n) {
        const int source = n < count ? sources[n] : channel_source;
        if (source < 0) continue;
        if (dup2(source, 3 + n) < 0) fail(fd, errno, Stage::exec, "cannot arrange the descriptors of", program);
        close(source);
    }
    char pid[16];
    std::snprintf(pid, sizeof pid, "%d", static_cast<int>(getpid()));
    if (setenv("LISTEN_PID", pid, 1) != 0) fail(fd, errno, Stage::exec, "cannot set LISTEN_PID for", program);
    return fd;
}

// Descriptors the daemon opened without O_CLOEXEC (a library's log file, ...) stop here: everything from
// `keep` on but the report fd (close-on-exec already).
void close_the_rest(int keep, int report_fd) {
    if (report_fd >= keep) {
        if (report_fd > keep) close_range(static_cast<unsigned>(keep), static_cast<unsigned>(report_fd - 1), 0);
        close_range(static_cast<unsigned>(report_fd) + 1, ~0U, 0);
    } else {
        close_range(static_cast<unsigned>(keep), ~0U, 0);
    }
}

}  // namespace

bool in_cgroup(const char* text, const char* hierarchy, unsigned hierarchy_length, const char* dir) {
    for (const char* line = text; *line != '\0';) {
        const char* end = std::strchr(line, '\n');
        if (end == nullptr) end = line + std::strlen(line);
        const char* first = static_cast<const char*>(std::memchr(line, ':', static_cast<size_t>(end - line)));
        const char* second =
            first == nullptr ? nullptr : static_cast<const char*>(std::memchr(first + 1, ':', static_cast<size_t>(end - first - 1)));
        if (second != nullptr) {
            const size_t controllers_length = static_cast<size_t>(second - first - 1);
            const bool match = hierarchy_length == 0
                                   ? first - line == 1 && line[0] == '0' && controllers_length == 0
                                   : lists(first + 1, controllers_length, hierarchy, hierarchy_length);
            if (match) {
                const char* path = second + 1;
                const size_t path_length = static_cast<size_t>(end - path);
                const size_t dir_length = std::strlen(dir);
                return path_length >= 2 && dir_length >= path_length &&
                       std::strncmp(dir + dir_length - path_length, path, path_length) == 0;
            }
        }
        line = *end == '\0' ? end : end + 1;
    }
    return false;
}

namespace {

struct Options {
    long report_fd = -1;
    long parent = 0;
    long nofile = -1;
    long standby_fd = -1;
    long nice = kNoNice;
    bool sched_other = false;
    long listen_first = -1;
    long listen_count = 0;
    bool channel = false;
    char* cgroups[kMaxCgroups];
    int cgroup_count = 0;
};

// The options up to "--"; returns the index of the program, or -1 after saying on stderr what is wrong.
int parse_options(int argc, char** argv, int first, Options& options) {
    int i = first;
    for (; i < argc; ++i) {
        const char* arg = argv[i];
        if (std::strcmp(arg, "--") == 0 && i + 1 < argc) return i + 1;
        if (std::strcmp(arg, "--") == 0) break;
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        const auto named = [&](const char* name) { return value != nullptr && std::strcmp(arg, name) == 0; };
        if ((named("--report-fd") && parse_long(value, options.report_fd)) ||
            (named("--parent") && parse_long(value, options.parent)) ||
            (named("--nofile") && parse_long(value, options.nofile)) ||
            (named("--standby-fd") && parse_long(value, options.standby_fd)) ||
            (named("--nice") && parse_long(value, options.nice)) ||
            (named("--listen-fds") && parse_listen(value, options.listen_first, options.listen_count))) {
            ++i;
        } else if (std::strcmp(arg, "--sched-other") == 0) {
            options.sched_other = true;
        } else if (std::strcmp(arg, "--channel") == 0) {
            options.channel = true;
        } else if (named("--cgroup") && std::strchr(value, ':') != nullptr && options.cgroup_count < kMaxCgroups) {
            options.cgroups[options.cgroup_count++] = argv[++i];
        } else {
            std::fprintf(stderr, "corral exec shim: unexpected argument \"%.200s\"\n", arg);
            return -1;
        }
    }
    std::fprintf(stderr, "corral exec shim: no program given after --\n");
    return -1;
}

}  // namespace

int shim_main(int argc, char** argv, int first) {
    Options options;
    const int i = parse_options(argc, argv, first, options);
    if (i < 0) return 2;
    int fd = static_cast<int>(options.report_fd);
    tie_to_daemon(fd, options.parent, argv[i]);
    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) fail(fd, errno, Stage::exec, "cannot prepare", argv[i]);
    join_cgroups(fd, options.cgroups, options.cgroup_count);
    if (options.nofile >= 0) restore_fd_limit(static_cast<rlim_t>(options.nofile));
    restore_scheduling(options.nice, options.sched_other);
    if (options.standby_fd >= 0) wait_for_go(fd, static_cast<int>(options.standby_fd), argv[i]);
    if (options.listen_count > 0) {
        const int count = static_cast<int>(options.listen_count);
        fd = place_listen_fds(fd, static_cast<int>(options.listen_first), count, options.channel, argv[i]);
        close_the_rest(3 + count + (options.channel ? 1 : 0), fd);
    } else {
        close_the_rest(fd > 3 ? fd + 1 : 4, -1);
    }
    execvp(argv[i], argv + i);
    fail(fd, errno, Stage::exec, "cannot execute", argv[i]);
}

}  // namespace corral::exec
