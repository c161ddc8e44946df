#pragma once
// Reaps the children libuv does not know about.
//
// The daemon is a child subreaper (PR_SET_CHILD_SUBREAPER): when a service's process dies, its orphaned
// descendants are re-parented to the daemon instead of init, so they stay findable and killable. They
// are not libuv's processes, so libuv never waits for them; this class does, on every SIGCHLD, for every
// child that is not one of the pids registered as owned by a live uv_process_t. (A blanket waitpid(-1)
// would steal libuv's exit statuses.) It is also what makes corral safe as PID 1 in a container.
#include <sys/types.h>

#include <unordered_set>
#include <vector>

#include "base/uv_handle.hpp"

namespace corral::supervisor {

class OrphanReaper {
public:
    explicit OrphanReaper(uv_loop_t* loop);

    void own(pid_t pid) { owned_.insert(pid); }
    void disown(pid_t pid) { owned_.erase(pid); }
    bool owns(pid_t pid) const { return owned_.contains(pid); }

    // Waits for every exited child that is not owned; returns how many were reaped.
    int reap();
    // The daemon's current children (owned or not), from /proc/self/task/*/children.
    static std::vector<pid_t> children();
    // True once `pid` has begun to exit (or is gone). A process leaves its cgroup early in its exit and
    // becomes a zombie that waitpid() can take only later, so an emptied cgroup can still leave a child
    // that is listed but already dying.
    static bool exiting(pid_t pid);

    void close() { signal_.close(); }

private:
    static void on_sigchld(uv_signal_t* handle, int signum);

    std::unordered_set<pid_t> owned_;
    UvHandle<uv_signal_t> signal_;
};

}  // namespace corral::supervisor
