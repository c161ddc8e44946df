#pragma once
// One instance of a service (`api#0`): a state machine whose decisions come from policies::decide(),
// carried out here with an Incarnation (the running process), one timer (restart delay or stop timeout)
// and two output captures feeding the instance's log files.
//
// Ownership: the Daemon owns Instances and destroys one only when quiet() (down, no process, no open
// pipe). Incarnations and captures are owned here; an Incarnation is dropped inside its own on_gone.
#include <sys/types.h>
#include <uv.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policies/lifecycle.hpp"
#include "supervisor/config/service_spec.hpp"
#include "supervisor/cgroup/driver.hpp"
#include "supervisor/incarnation.hpp"
#include "supervisor/instance_group.hpp"
#include "supervisor/log_file.hpp"
#include "supervisor/orphan_reaper.hpp"
#include "supervisor/output_capture.hpp"
#include "supervisor/uv_handle.hpp"

namespace corral::supervisor {

class Instance;

class InstanceObserver {
public:
    virtual void on_transition(Instance& instance, policies::State from, policies::State to) = 0;
    // quiet() may have become true.
    virtual void on_quiet(Instance& instance) = 0;

protected:
    ~InstanceObserver() = default;
};

struct InstanceContext {
    uv_loop_t* loop = nullptr;
    OrphanReaper* reaper = nullptr;
    std::string corral_exe;        // for the exec shim
    std::filesystem::path log_dir;  // <state_dir>/logs
    InstanceObserver* observer = nullptr;
    cgroup::Driver* cgroups = nullptr;  // null: process groups only
    bool cgroups_required = false;      // an instance whose cgroup cannot be made does not start
};

class Instance final : private IncarnationOwner {
public:
    Instance(const InstanceContext& context, std::shared_ptr<const config::ServiceSpec> spec, unsigned index);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    void start();
    void stop();
    void restart();
    // SIGKILL whatever runs now (a second Ctrl-C during shutdown).
    void kill_now();
    // The new spec is used from the next start on; log limits apply at once.
    void update_spec(std::shared_ptr<const config::ServiceSpec> spec);

    const std::string& name() const { return name_; }  // "api#0"
    unsigned index() const { return index_; }
    const config::ServiceSpec& spec() const { return *spec_; }
    policies::State state() const { return lifecycle_.state; }
    unsigned restarts() const { return lifecycle_.restarts; }
    pid_t pid() const { return incarnation_ ? incarnation_->pid() : 0; }
    policies::TimePoint started_at() const { return lifecycle_.started_at; }
    bool quiet() const;

    // The instance's cgroup ("api/0"), or "" without one.
    std::string cgroup_name() const { return group_ ? group_->name() : std::string(); }
    // Reads the cgroup's memory accounting into memory(); no-op without a cgroup.
    void sample_memory();
    const std::optional<cgroup::MemoryStats>& memory() const { return memory_; }

private:
    void on_exec(const ExecReport& report) override;
    void on_gone(const policies::ExitStatus& status) override;
    static void on_timer(uv_timer_t* timer);
    static void on_capture_closed(void* self);

    void handle(const policies::Event& event);
    void apply(const policies::Decision& decision);
    void spawn();
    void arm_timer(policies::EventKind event, policies::Duration delay);
    std::vector<std::string> child_environment() const;
    policies::LifecyclePolicy lifecycle_policy() const;

    InstanceContext context_;
    std::shared_ptr<const config::ServiceSpec> spec_;
    unsigned index_;
    std::string name_;
    policies::InstanceState lifecycle_;
    LogFile out_log_;
    LogFile err_log_;
    std::vector<std::unique_ptr<OutputCapture>> captures_;  // after the logs: destroyed before them
    std::unique_ptr<InstanceGroup> group_;                  // outlives the incarnation that points to it
    std::optional<cgroup::MemoryStats> memory_;
    std::unique_ptr<Incarnation> incarnation_;
    pid_t last_pid_ = 0;  // of the latest incarnation, for log lines about its end
    UvHandle<uv_timer_t> timer_;
    policies::EventKind timer_event_ = policies::EventKind::backoff_elapsed;
};

}  // namespace corral::supervisor
