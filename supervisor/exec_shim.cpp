#include "supervisor/exec_shim.hpp"

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

namespace corral::supervisor {
namespace {

// Written with plain stdio: the shim runs before every start of every service, so it sets up nothing
// it does not use (no logger, no option parser).
[[noreturn]] void fail(int report_fd, int err, const char* what, const char* program) {
    if (report_fd >= 0) {
        char text[16];
        const int n = std::snprintf(text, sizeof text, "%d\n", err);
        if (n > 0) (void)!write(report_fd, text, static_cast<size_t>(n));
    }
    std::fprintf(stderr, "corral: %s \"%s\": %s\n", what, program, std::strerror(err));
    _exit(err == EACCES || err == ENOEXEC ? 126 : 127);
}

bool parse_int(const char* text, long& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtol(text, &end, 10);
    return errno == 0 && end != text && *end == '\0';
}

}  // namespace

std::vector<std::string> exec_shim_argv(const std::string& corral_exe, int parent_pid,
                                        const std::vector<std::string>& program) {
    std::vector<std::string> argv = {corral_exe,
                                     kExecShimCommand,
                                     "--report-fd",
                                     std::to_string(kExecReportFd),
                                     "--parent",
                                     std::to_string(parent_pid),
                                     "--"};
    argv.insert(argv.end(), program.begin(), program.end());
    return argv;
}

int exec_shim_main(int argc, char** argv) {
    long report_fd = -1;
    long parent = 0;
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
        } else {
            std::fprintf(stderr, "corral __exec: unexpected argument \"%s\"\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "corral __exec: no program given after --\n");
        return 2;
    }
    const int fd = static_cast<int>(report_fd);

    // The daemon may have died between fork and prctl; then nobody would ever stop this process.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(fd, errno, "cannot set the parent-death signal for", argv[i]);
    if (parent > 0 && getppid() != parent) _exit(127);

    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) fail(fd, errno, "cannot prepare", argv[i]);
    // Descriptors the daemon opened without O_CLOEXEC (a library's log file, ...) stop here.
    close_range(static_cast<unsigned>(std::max(fd, 3)) + 1, ~0U, 0);

    execvp(argv[i], argv + i);
    fail(fd, errno, "cannot execute", argv[i]);
}

}  // namespace corral::supervisor
