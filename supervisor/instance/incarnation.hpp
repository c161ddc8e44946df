#pragma once
// One run of a service instance's program: the process, its process group, and the exec report.
//
// Lifecycle: spawn() starts the exec shim (`corral-exec ... -- program`) in a new session, so the
// program's pid is its process group id and signal_group() reaches everything it started in that group, and, with a cgroup,
// everything in the cgroup (a grandchild that left the process group included). The owner hears:
//   on_exec({0})       the program replaced the shim (the report pipe closed without data), or
//   on_exec({errno})   execvp or joining the cgroup failed (the shim then exits 127);
//   on_gone(status)    the main process exited *and* its process group and cgroup are empty. When it dies
//                   by itself, leftovers of its group are SIGKILLed at once; during a requested stop they
//                   get until the owner's stop timeout, like the main process.
// on_exec always comes before on_gone. on_gone is the last call and the owner may destroy the
// Incarnation inside it.
//
// A standby (SpawnRequest::standby) is spawned with its output to /dev/null and no channel, and its shim
// waits before the exec; activate() hands it its stdout, stderr and channel and lets it exec. Its owner
// may change before that (set_owner: a Standby holds it until an Instance takes it).
#include <sys/types.h>
#include <uv.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "base/uv_handle.hpp"
#include "policies/exit_status.hpp"
#include "supervisor/cgroup/instance_group.hpp"
#include "supervisor/instance/exec_shim.hpp"
#include "supervisor/instance/loop_watch.hpp"
#include "supervisor/instance/orphan_reaper.hpp"

namespace corral::supervisor {

class IncarnationOwner {
public:
    virtual void on_exec(const ExecReport& report) = 0;
    virtual void on_gone(const policies::ExitStatus& status) = 0;

protected:
    ~IncarnationOwner() = default;
};

struct SpawnRequest {
    std::vector<std::string> argv;  // the full shim command line (see exec_shim_argv)
    std::vector<std::string> env;   // "NAME=value"
    std::filesystem::path cwd;
    uv_pipe_t* stdout_pipe = nullptr;  // uninitialized pipes to connect, or null to discard
    uv_pipe_t* stderr_pipe = nullptr;
    InstanceGroup* group = nullptr;  // the cgroup the shim joins, or null (process group only)
    int ipc_fd = -1;                 // the instance's end of its Node IPC channel, put at fd 3; -1 for none
    std::vector<int> listen_fds;     // the service's listening sockets (argv has --listen-fds to match)
    const LoopWatch* loop_watch = nullptr;  // dates the exit (ExitStatus::ended_at); null: when it is heard
    bool standby = false;  // argv has --standby-fd (exec_shim_argv); the pipes and ipc_fd are ignored
};

class Incarnation {
public:
    // Starts the process. On failure returns the libuv error and leaves `out` empty.
    static int spawn(uv_loop_t* loop, OrphanReaper& reaper, IncarnationOwner& owner, const SpawnRequest& request,
                     std::unique_ptr<Incarnation>& out);
    ~Incarnation();
    Incarnation(const Incarnation&) = delete;
    Incarnation& operator=(const Incarnation&) = delete;

    pid_t pid() const { return pid_; }
    // Sends `signal` to the whole process group and cgroup; a group that is already gone is not an error.
    void signal_group(int signal);
    // The owner is stopping the instance: leftovers of the group wait for the stop timeout.
    void mark_stopping() { stopping_ = true; }

    // A standby: lets it exec with these descriptors (-1: none), sent to it and closed here; false when it
    // cannot take them (it died, or was activated already).
    bool activate(UniqueFd out, UniqueFd err, UniqueFd channel);
    void set_owner(IncarnationOwner& owner) { owner_ = &owner; }
    // The cgroup whose processes are this incarnation's (a standby has none until it is taken: the group
    // holds the running incarnation meanwhile).
    void set_group(InstanceGroup* group) { group_ = group; }

private:
    Incarnation(uv_loop_t* loop, OrphanReaper& reaper, IncarnationOwner& owner);

    static void on_exit(uv_process_t* process, int64_t exit_status, int term_signal);
    static void on_report_ready(uv_poll_t* poll, int status, int events);
    static void on_group_poll(uv_timer_t* timer);
    void handle_exit(int64_t exit_status, int term_signal);
    void read_report();
    void check_group();
    bool group_alive();

    uv_loop_t* loop_;
    OrphanReaper& reaper_;
    IncarnationOwner* owner_;
    InstanceGroup* group_ = nullptr;
    const LoopWatch* loop_watch_ = nullptr;
    pid_t pid_ = 0;
    bool exited_ = false;
    bool stopping_ = false;
    bool reported_exec_ = false;
    bool killed_ = false;        // SIGKILL was sent to the group
    uint64_t kill_deadline_ = 0;  // loop time after which survivors of SIGKILL are given up on
    policies::ExitStatus status_;
    UvHandle<uv_process_t> process_;
    UniqueFd report_fd_;
    UniqueFd go_fd_;  // a standby's end of its go socket, until activate()
    UvHandle<uv_poll_t> report_poll_;
    UvHandle<uv_timer_t> group_timer_;
};

}  // namespace corral::supervisor
