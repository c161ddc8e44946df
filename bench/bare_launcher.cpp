// The floor of any supervisor's restart on this machine: one process that keeps N children of a program
// running by fork() + execv() and waitpid(), and does nothing else (no cgroups, no logs, no post-mortems,
// no exec shim). bench/restart_storm.js runs it beside corral with `false` as the program.
// Usage: bare_launcher SECONDS N PROGRAM [ARGS...]. Prints one line: "spawns <count> cpu_us <user+system>".
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

pid_t launch(char** argv) {
    const pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

long cpu_us() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000L + usage.ru_utime.tv_usec +
           usage.ru_stime.tv_usec;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: bare_launcher SECONDS N PROGRAM [ARGS...]\n");
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
        if (waitpid(-1, &status, 0) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        --running;
        if (std::chrono::steady_clock::now() < deadline && launch(program) > 0) {
            ++running;
            ++spawns;
        }
    }
    std::printf("spawns %ld cpu_us %ld\n", spawns, cpu_us() - cpu_before);
    return 0;
}
