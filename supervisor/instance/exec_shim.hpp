#pragma once
// The daemon's side of the exec shim (supervisor/exec/shim.hpp): where it is, its command line, and what
// it reports. The shim is `corral-exec`, a small static executable installed beside corral, found next to
// the daemon's own executable; without it, corral itself runs as the shim (`corral __exec`), the same code
// with all of corral's libraries loaded first (~15 ms more per start).
//
// The report pipe (--report-fd, close-on-exec): EOF without data means the program is running;
// "<errno> exec\n" means execvp failed, "<errno> cgroup\n" that joining a cgroup failed (the shim then
// exits 127, or 126 for a file that is not executable).
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/cgroup/driver.hpp"
#include "supervisor/exec/shim.hpp"

namespace corral::supervisor {

inline constexpr const char* kExecShimCommand = "__exec";
inline constexpr const char* kExecShimFile = "corral-exec";
inline constexpr int kExecReportFd = exec::kReportFd;
inline constexpr int kExecStandbyFd = exec::kStandbyFd;
inline constexpr int kExecListenFd = exec::kListenFd;

struct ExecShim {
    std::string exe;          // corral-exec, or corral itself
    bool standalone = false;  // false: `exe __exec ...`
};

// corral-exec beside `corral_exe` when it is there and executable; else corral itself.
ExecShim locate_exec_shim(const std::string& corral_exe);

// What the program gets besides its command line.
struct ShimPlacement {
    bool standby = false;        // wait for the word to go on kExecStandbyFd before the exec (Incarnation::activate)
    std::size_t listen_fds = 0;  // listening sockets at kExecListenFd.., moved to 3.. (systemd's protocol)
    bool channel = false;        // the IPC channel is (or comes, for a standby) at 3, moved after the sockets
};

// argv for uv_spawn: SHIM [__exec] --report-fd N --parent PID [--nofile SOFT] [--cgroup H:DIR]...
// [--standby-fd N] [--listen-fds FIRST:COUNT [--channel]] -- program args...
// --nofile gives the program back the soft descriptor limit the daemon was started with.
std::vector<std::string> exec_shim_argv(const ExecShim& shim, int parent_pid,
                                        const std::vector<cgroup::JoinTarget>& cgroups,
                                        const std::vector<std::string>& program, const ShimPlacement& placement = {});

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
