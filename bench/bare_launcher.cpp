// The floor of any supervisor's restart on this machine: one process that keeps N children of a program
// running by fork() + execv() and waitpid(), and does nothing else (no cgroups, no logs, no post-mortems,
// no exec shim). bench/restart_storm.js runs it beside corral with `false` as the program; bench/compare.js
// and the other benchmarks start their bare `node` baselines with it (SECONDS 0: N launches, no relaunch).
// Usage: bare_launcher [--spawns MAX] [--ipc] SECONDS N PROGRAM [ARGS...]: keeps N children running for
// SECONDS, and stops relaunching after MAX spawns in all. --ipc gives each child a Node IPC channel as a
// supervisor that offers one does (a socket pair's end at fd 3, NODE_CHANNEL_FD=3; the launcher holds the
// other end and never writes), so that Node's start-up with a channel can be told from corral's part.
// Prints one line: "spawns <count> cpu_us <user+system>".
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string_view>

namespace {

bool with_ipc = false;
std::map<pid_t, int> channels;  // child -> the launcher's end of its channel

pid_t launch(char** argv) {
    int pair[2] = {-1, -1};
    if (with_ipc && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        // dup2 onto itself would keep close-on-exec: cleared explicitly.
        if (with_ipc && (dup2(pair[1], 3) != 3 || fcntl(3, F_SETFD, 0) != 0 || setenv("NODE_CHANNEL_FD", "3", 1) != 0)) {
            _exit(126);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    if (with_ipc) {
        close(pair[1]);
        if (pid > 0) {
            channels[pid] = pair[0];
        } else {
            close(pair[0]);
        }
    }
    return pid;
}

void forget(pid_t pid) {
    if (const auto found = channels.find(pid); found != channels.end()) {
        close(found->second);
        channels.erase(found);
    }
}

long cpu_us() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000L + usage.ru_utime.tv_usec +
           usage.ru_stime.tv_usec;
}

}  // namespace

int main(int argc, char** argv) {
    long max_spawns = -1;
    if (argc > 2 && std::string_view(argv[1]) == "--spawns") {
        max_spawns = std::atol(argv[2]);
        argc -= 2;
        argv += 2;
    }
    if (argc > 1 && std::string_view(argv[1]) == "--ipc") {
        with_ipc = true;
        --argc;
        ++argv;
    }
    if (argc < 4) {
        std::fprintf(stderr, "usage: bare_launcher [--spawns MAX] [--ipc] SECONDS N PROGRAM [ARGS...]\n");
        return 2;
    }
    const double seconds = std::atof(argv[1]);
    const int children = std::atoi(argv[2]);
    char** program = argv + 3;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    const long cpu_before = cpu_us();
    long spawns = 0;
    int running = 0;
    for (; running < children; ++running, ++spawns) {
        if (launch(program) < 0) return 1;
    }
    while (running > 0) {
        int status = 0;
        const pid_t ended = waitpid(-1, &status, 0);
        if (ended < 0) {
            if (errno == EINTR) continue;
            break;
        }
        forget(ended);
        --running;
        if (std::chrono::steady_clock::now() < deadline && (max_spawns < 0 || spawns < max_spawns) &&
            launch(program) > 0) {
            ++running;
            ++spawns;
        }
    }
    std::printf("spawns %ld cpu_us %ld\n", spawns, cpu_us() - cpu_before);
    return 0;
}
