#pragma once
// The exec shim itself: what runs between the daemon's uv_spawn and the service's program, because
// uv_spawn has no hook that runs in the child before exec. It runs before every start of every service,
// so it is plain libc and nothing else (no allocator-hungry parsing, no logger, no libraries): built as
// its own small static executable, `corral-exec` (main.cpp), and linked into corral for `corral __exec`,
// the fallback when corral-exec is not installed beside corral.
//
// libuv has already put the child in a new session (UV_PROCESS_DETACHED, so its pid is its process group
// id). The shim binds the child's life to the daemon (PR_SET_PDEATHSIG, then checks that its parent is
// still the daemon: it may have died before the prctl), joins the instance's cgroups and checks in
// /proc/self/cgroup that it landed in each (the program never runs an instruction outside its limits),
// gives back the soft descriptor limit and the nice level the daemon was started with, closes every
// descriptor above the report fd, and execs.
//
// With --standby-fd N (a standby: the next incarnation made in advance, supervisor/instance/standby.hpp)
// the shim does all of that but the exec, then waits on the Unix socket N for the word to go: one byte
// saying which of stdout, stderr and the IPC channel follow as descriptors (SCM_RIGHTS), put at 1, 2 and
// 3 (those not sent stay /dev/null, or closed for 3). EOF instead (the daemon let go of it) exits 0.
//
// With --listen-fds FIRST:COUNT (a service with `listen`), the listening sockets at FIRST.. go to 3.. just
// before the exec, the IPC channel (--channel: it is at 3) right after them, and LISTEN_PID is set to the
// shim's pid, which the program keeps (the daemon sets LISTEN_FDS, LISTEN_FDNAMES and NODE_CHANNEL_FD).
//
// Options: --report-fd N --parent PID [--nofile SOFT] [--nice LEVEL] [--standby-fd N] [--listen-fds FIRST:COUNT
// [--channel]] [--cgroup HIERARCHY:DIR]... -- PROGRAM ARGS...
// Failures are reported on the report fd (made close-on-exec here): EOF without data means the program is
// running; "<errno> exec\n" means execvp failed, "<errno> cgroup\n" that joining a cgroup failed. The
// shim then exits 127 (126 for a file that is not executable); 2 for a command line it cannot parse.
namespace corral::exec {

inline constexpr int kReportFd = 4;  // fd 3 is reserved for the Node IPC channel
inline constexpr int kStandbyFd = 5;
inline constexpr int kListenFd = 6;  // the first listening socket, as the daemon hands it over

// The standby's go byte: which descriptors follow, in this order.
inline constexpr unsigned char kGoStdout = 1;
inline constexpr unsigned char kGoStderr = 2;
inline constexpr unsigned char kGoChannel = 4;
inline constexpr unsigned char kGoMark = 0x40;  // set in every go byte

// argv[first] is the first option. Returns only on failure, with the exit code.
int shim_main(int argc, char** argv, int first);

// Whether /proc/self/cgroup's text puts this process in DIR of HIERARCHY ("memory"; "" for the unified
// hierarchy): DIR ends with the path of the line that carries HIERARCHY, and that path is not the root.
bool in_cgroup(const char* proc_self_cgroup, const char* hierarchy, unsigned hierarchy_length, const char* dir);

}  // namespace corral::exec
