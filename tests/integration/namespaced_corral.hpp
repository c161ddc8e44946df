#pragma once
// corral as PID 1 of a new PID namespace, as a container runtime starts its entrypoint:
//   unshare --pid --fork --mount-proc --kill-child [--cgroup] -- corral ARGS...
// stdout and stderr go to cwd/corral.stdout and cwd/corral.stderr (kept apart, as `docker logs` keeps them).
//
// Before the exec the child joins groups of the test's own, made below the test's cgroup: on hybrid hosts a
// v1 memory group whose limit is written first, and a cgroup2 group. As a pod: a cgroup namespace rooted at
// that cgroup2 group, with a cgroup2 filesystem mounted at /sys/fs/cgroup inside (a private mount namespace),
// so that corral sees itself at "0::/" of a cgroup2 root, as in a Kubernetes pod.
//
// Cleanup, also when a check failed: SIGKILL to the unshare process (--kill-child SIGKILLs PID 1, and the
// kernel then every process of the namespace), cgroup.kill on the groups, and their removal.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace corral::test {

class NamespacedCorral {
public:
    NamespacedCorral(const std::filesystem::path& cwd, const std::vector<std::string>& args, bool pod = false);
    ~NamespacedCorral();
    NamespacedCorral(const NamespacedCorral&) = delete;
    NamespacedCorral& operator=(const NamespacedCorral&) = delete;

    pid_t unshare_pid() const { return pid_; }
    // corral's pid as this test sees it (PID 1 inside): the child of unshare; 0 until it runs corral.
    pid_t corral_pid() const;
    // Waits for unshare, which exits as PID 1 did: the exit code (or 128+signal); nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    std::string out() const;
    std::string err() const;
    // The cgroup2 group the namespace runs in (the pod's cgroup root).
    const std::filesystem::path& group() const { return group_; }

private:
    std::filesystem::path cwd_;
    std::filesystem::path group_;         // cgroup2
    std::filesystem::path memory_group_;  // v1 memory, on hybrid hosts
    pid_t pid_ = -1;
    bool reaped_ = false;
};

}  // namespace corral::test
