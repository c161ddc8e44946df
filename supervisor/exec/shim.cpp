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

int shim_main(int argc, char** argv, int first) {
    long report_fd = -1;
    long parent = 0;
    long nofile = -1;
    long standby_fd = -1;
    long nice = kNoNice;
    bool sched_other = false;
    char* cgroups[kMaxCgroups];
    int cgroup_count = 0;
    int i = first;
    for (; i < argc; ++i) {
        const char* arg = argv[i];
        if (std::strcmp(arg, "--") == 0) {
            ++i;
            break;
        }
        const bool has_value = i + 1 < argc;
        if (has_value && std::strcmp(arg, "--report-fd") == 0 && parse_long(argv[i + 1], report_fd)) {
            ++i;
        } else if (has_value && std::strcmp(arg, "--parent") == 0 && parse_long(argv[i + 1], parent)) {
            ++i;
        } else if (has_value && std::strcmp(arg, "--nofile") == 0 && parse_long(argv[i + 1], nofile)) {
            ++i;
        } else if (has_value && std::strcmp(arg, "--standby-fd") == 0 && parse_long(argv[i + 1], standby_fd)) {
            ++i;
        } else if (has_value && std::strcmp(arg, "--nice") == 0 && parse_long(argv[i + 1], nice)) {
            ++i;
        } else if (std::strcmp(arg, "--sched-other") == 0) {
            sched_other = true;
        } else if (has_value && std::strcmp(arg, "--cgroup") == 0 && std::strchr(argv[i + 1], ':') != nullptr &&
                   cgroup_count < kMaxCgroups) {
            cgroups[cgroup_count++] = argv[++i];
        } else {
            std::fprintf(stderr, "corral exec shim: unexpected argument \"%.200s\"\n", arg);
            return 2;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "corral exec shim: no program given after --\n");
        return 2;
    }
    const int fd = static_cast<int>(report_fd);

    tie_to_daemon(fd, parent, argv[i]);
    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) fail(fd, errno, Stage::exec, "cannot prepare", argv[i]);
    join_cgroups(fd, cgroups, cgroup_count);
    if (nofile >= 0) restore_fd_limit(static_cast<rlim_t>(nofile));
    restore_scheduling(nice, sched_other);
    if (standby_fd >= 0) wait_for_go(fd, static_cast<int>(standby_fd), argv[i]);
    // Descriptors the daemon opened without O_CLOEXEC (a library's log file, ...) stop here.
    close_range(static_cast<unsigned>(fd > 3 ? fd : 3) + 1, ~0U, 0);

    execvp(argv[i], argv + i);
    fail(fd, errno, Stage::exec, "cannot execute", argv[i]);
}

}  // namespace corral::exec
