#pragma once
// The exec shim: the corral binary re-run as `corral __exec [options] -- PROGRAM ARGS...` between the
// daemon's uv_spawn and the service's program, because uv_spawn has no hook that runs in the child before
// exec. libuv has already put the child in a new session (UV_PROCESS_DETACHED, so its pid is its process
// group id). The shim then binds the child's life to the daemon (PR_SET_PDEATHSIG), closes descriptors it
// must not leak, and execs. Cgroup placement belongs here too: nothing of the service runs before it.
//
// With --cgroup HIERARCHY:DIR (repeated), the shim first writes its pid to DIR/cgroup.procs and checks in
// /proc/self/cgroup that it landed there: the program never runs a single instruction outside its limits.
//
// Failures are reported on --report-fd (close-on-exec): EOF without data means the program is running;
// "<errno> exec\n" means execvp failed, "<errno> cgroup\n" that joining a cgroup failed. The shim then
// exits 127 (126 for a file that is not executable).
#include <string>
#include <vector>

#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor {

inline constexpr const char* kExecShimCommand = "__exec";
inline constexpr int kExecReportFd = 4;  // fd 3 is reserved for the Node IPC channel

// argv for uv_spawn: exe __exec --report-fd N --parent PID [--nofile SOFT] [--cgroup H:DIR]... -- program args...
// --nofile gives the program back the soft descriptor limit the daemon was started with.
std::vector<std::string> exec_shim_argv(const std::string& corral_exe, int parent_pid,
                                        const std::vector<cgroup::JoinTarget>& cgroups,
                                        const std::vector<std::string>& program);

enum class ExecStage { exec, cgroup };

struct ExecReport {
    int error = 0;  // errno; 0 = the program runs
    ExecStage stage = ExecStage::exec;
};

// Parses what the shim wrote to the report pipe ("" = success).
ExecReport parse_exec_report(std::string_view text);

// Entry point of `corral __exec`: returns only on failure, with the exit code.
int exec_shim_main(int argc, char** argv);

}  // namespace corral::supervisor
