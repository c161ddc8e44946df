#include "supervisor/instance/exec_shim.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "base/fd_limit.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"

namespace corral::supervisor {
namespace {

// Written with plain stdio: the shim runs before every start of every service, so it sets up nothing
// it does not use (no logger, no option parser).
[[noreturn]] void fail(int report_fd, int err, ExecStage stage, const char* what, const char* subject) {
    if (report_fd >= 0) {
        char text[32];
        const int n = std::snprintf(text, sizeof text, "%d %s\n", err, stage == ExecStage::exec ? "exec" : "cgroup");
        if (n > 0) (void)!write(report_fd, text, static_cast<size_t>(n));
    }
    std::fprintf(stderr, "corral: %s \"%.200s%s\": %s\n", what, subject, std::strlen(subject) > 200 ? "..." : "",
                 std::strerror(err));
    _exit(stage == ExecStage::exec && (err == EACCES || err == ENOEXEC) ? 126 : 127);
}

// Writes our pid to DIR/cgroup.procs, then checks that /proc/self/cgroup agrees.
void join_cgroups(int report_fd, const std::vector<std::string_view>& targets) {
    if (targets.empty()) return;
    char pid[16];
    const int pid_length = std::snprintf(pid, sizeof pid, "%d", static_cast<int>(getpid()));
    for (const std::string_view target : targets) {
        const std::string dir(target.substr(target.find(':') + 1));
        const std::string procs = dir + "/cgroup.procs";
        const int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pid, static_cast<size_t>(pid_length)) != pid_length) {
            fail(report_fd, errno, ExecStage::cgroup, "cannot join cgroup", dir.c_str());
        }
        close(fd);
    }
    const std::string self = cgroup::read_self_cgroup();
    for (const std::string_view target : targets) {
        const std::string_view hierarchy = target.substr(0, target.find(':'));
        const std::string_view dir = target.substr(target.find(':') + 1);
        const auto path = cgroup::own_cgroup_path(self, hierarchy);
        if (!path || path->size() < 2 || !dir.ends_with(*path)) {
            fail(report_fd, EPERM, ExecStage::cgroup, "not in cgroup after joining it", std::string(dir).c_str());
        }
    }
}

bool parse_int(const char* text, long& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtol(text, &end, 10);
    return errno == 0 && end != text && *end == '\0';
}

// The daemon raised its own soft descriptor limit; the program gets the one the daemon was started with.
// Failing to lower it costs the program nothing it asked for: not an error.
void restore_fd_limit(rlim_t soft) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || soft > limit.rlim_max) return;
    limit.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

std::vector<std::string> exec_shim_argv(const std::string& corral_exe, int parent_pid,
                                        const std::vector<cgroup::JoinTarget>& cgroups,
                                        const std::vector<std::string>& program) {
    std::vector<std::string> argv = {corral_exe, kExecShimCommand, "--report-fd", std::to_string(kExecReportFd),
                                     "--parent", std::to_string(parent_pid)};
    if (const auto nofile = fd_limit_for_children()) {
        argv.push_back("--nofile");
        argv.push_back(std::to_string(*nofile));
    }
    for (const auto& target : cgroups) {
        argv.push_back("--cgroup");
        argv.push_back(target.hierarchy + ":" + target.dir.string());
    }
    argv.push_back("--");
    argv.insert(argv.end(), program.begin(), program.end());
    return argv;
}

ExecReport parse_exec_report(std::string_view text) {
    ExecReport report;
    if (text.empty()) return report;
    const std::string copy(text);
    report.error = std::atoi(copy.c_str());
    if (report.error <= 0) report.error = ENOEXEC;
    if (text.find(" cgroup") != std::string_view::npos) report.stage = ExecStage::cgroup;
    return report;
}

int exec_shim_main(int argc, char** argv) {
    long report_fd = -1;
    long parent = 0;
    long nofile = -1;
    std::vector<std::string_view> cgroups;
    int i = 2;
    for (; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "--report-fd" && i + 1 < argc && parse_int(argv[i + 1], report_fd)) {
            ++i;
        } else if (arg == "--parent" && i + 1 < argc && parse_int(argv[i + 1], parent)) {
            ++i;
        } else if (arg == "--nofile" && i + 1 < argc && parse_int(argv[i + 1], nofile)) {
            ++i;
        } else if (arg == "--cgroup" && i + 1 < argc && std::strchr(argv[i + 1], ':') != nullptr) {
            cgroups.emplace_back(argv[++i]);
        } else {
            std::fprintf(stderr, "corral __exec: unexpected argument \"%.200s\"\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "corral __exec: no program given after --\n");
        return 2;
    }
    const int fd = static_cast<int>(report_fd);

    // The daemon may have died between fork and prctl; then nobody would ever stop this process.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fail(fd, errno, ExecStage::exec, "cannot set the parent-death signal for", argv[i]);
    }
    if (parent > 0 && getppid() != parent) _exit(127);

    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) fail(fd, errno, ExecStage::exec, "cannot prepare", argv[i]);
    join_cgroups(fd, cgroups);
    if (nofile >= 0) restore_fd_limit(static_cast<rlim_t>(nofile));
    // Descriptors the daemon opened without O_CLOEXEC (a library's log file, ...) stop here.
    close_range(static_cast<unsigned>(std::max(fd, 3)) + 1, ~0U, 0);

    execvp(argv[i], argv + i);
    fail(fd, errno, ExecStage::exec, "cannot execute", argv[i]);
}

}  // namespace corral::supervisor
