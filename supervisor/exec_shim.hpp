#pragma once
// The exec shim: the corral binary re-run as `corral __exec [options] -- PROGRAM ARGS...` between the
// daemon's uv_spawn and the service's program, because uv_spawn has no hook that runs in the child before
// exec. libuv has already put the child in a new session (UV_PROCESS_DETACHED, so its pid is its process
// group id). The shim then binds the child's life to the daemon (PR_SET_PDEATHSIG), closes descriptors it
// must not leak, and execs. Cgroup placement belongs here too: nothing of the service runs before it.
//
// Exec failures are reported on --report-fd (close-on-exec): EOF without data means the program is
// running; "<errno>\n" means execvp failed, and the shim exits 127 (126 for a file that is not executable).
#include <string>
#include <vector>

namespace corral::supervisor {

inline constexpr const char* kExecShimCommand = "__exec";
inline constexpr int kExecReportFd = 4;  // fd 3 is reserved for the Node IPC channel

// argv for uv_spawn: exe __exec --report-fd N --parent PID -- program args...
std::vector<std::string> exec_shim_argv(const std::string& corral_exe, int parent_pid,
                                        const std::vector<std::string>& program);

// Entry point of `corral __exec`: returns only on failure, with the exit code.
int exec_shim_main(int argc, char** argv);

}  // namespace corral::supervisor
