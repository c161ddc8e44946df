#pragma once
// An instance's next incarnation, made in advance so that a restart does not wait for it.
//
// Starting a program in a cgroup costs more than its fork and exec: writing its pid to cgroup.procs waits
// for an RCU grace period of the kernel (cgroup_threadgroup_rwsem; 12 to 24 ms measured on this host for
// the first move after a quiet spell, unless the hierarchy is mounted with favordynmods). So while an
// incarnation runs, corral starts the exec shim of the next one: it joins the instance's cgroups, has its
// environment, working directory and descriptor limit, and waits before its exec (supervisor/exec/shim.hpp,
// --standby-fd). A start hands it its stdout, stderr and IPC channel and lets it exec: the program starts
// at once, inside its limits.
//
// The standby is a process in the instance's cgroup (one pid, a few hundred KiB): InstanceGroup leaves it
// out of populated() and of signals other than SIGKILL. It is made for one spec: the instance drops it when
// the spec changes, when it goes down, and with itself. A standby that dies (the group killed as a whole,
// a signal from outside) is forgotten, and the next start spawns as without one.
#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "base/unique_fd.hpp"
#include "supervisor/cgroup/instance_group.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/instance/incarnation.hpp"
#include "supervisor/instance/orphan_reaper.hpp"

namespace corral::supervisor {

class Standby final : private IncarnationOwner {
public:
    // Spawns the standby for `spec` (`request` made for a standby: exec_shim_argv(..., true)); nullptr,
    // logged, when that fails.
    static std::unique_ptr<Standby> spawn(uv_loop_t* loop, OrphanReaper& reaper, SpawnRequest request,
                                          InstanceGroup& group, std::shared_ptr<const config::ServiceSpec> spec,
                                          const std::string& instance);
    // A standby that was not taken is killed (and left to the orphan reaper: prefer kill() and keeping it
    // until `on_ended`).
    ~Standby();
    Standby(const Standby&) = delete;
    Standby& operator=(const Standby&) = delete;

    bool alive() const { return incarnation_ != nullptr; }
    pid_t pid() const { return pid_; }
    const config::ServiceSpec& spec() const { return *spec_; }
    // Lets it exec with these descriptors (closed here); its Incarnation then reports to `owner`. nullptr
    // when it cannot go (it died): the caller starts the program as without a standby.
    std::unique_ptr<Incarnation> take(IncarnationOwner& owner, UniqueFd out, UniqueFd err, UniqueFd channel);
    // SIGKILL; alive() until its exit is heard, then `on_ended` runs (the owner may destroy it there).
    void kill();
    void on_ended(std::function<void()> callback) { on_ended_ = std::move(callback); }

private:
    Standby(InstanceGroup& group, std::shared_ptr<const config::ServiceSpec> spec, std::string instance)
        : group_(group), spec_(std::move(spec)), instance_(std::move(instance)) {}

    void on_exec(const ExecReport& report) override;
    void on_gone(const policies::ExitStatus& status) override;

    InstanceGroup& group_;
    std::shared_ptr<const config::ServiceSpec> spec_;
    std::string instance_;  // "api#0", for log lines
    std::unique_ptr<Incarnation> incarnation_;
    pid_t pid_ = 0;
    std::function<void()> on_ended_;
};

}  // namespace corral::supervisor
