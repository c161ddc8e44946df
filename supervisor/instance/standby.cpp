#include "supervisor/instance/standby.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>

namespace corral::supervisor {

std::unique_ptr<Standby> Standby::spawn(uv_loop_t* loop, OrphanReaper& reaper, SpawnRequest request,
                                        InstanceGroup& group, std::shared_ptr<const config::ServiceSpec> spec,
                                        const std::string& instance) {
    std::unique_ptr<Standby> self(new Standby(group, std::move(spec), instance));
    request.standby = true;
    request.group = nullptr;  // until it is taken, the group's processes are the running incarnation's
    request.stdout_pipe = nullptr;
    request.stderr_pipe = nullptr;
    request.ipc_fd = -1;
    if (const int rc = Incarnation::spawn(loop, reaper, *self, request, self->incarnation_); rc < 0) {
        spdlog::debug("{}: no standby: {}", instance, uv_strerror(rc));
        return nullptr;
    }
    self->pid_ = self->incarnation_->pid();
    group.set_standby(self->pid_);
    spdlog::debug("{}: standby [pid {}] waits for the next start", instance, self->pid_);
    return self;
}

Standby::~Standby() {
    if (!incarnation_) return;
    group_.set_standby(0);
    ::kill(pid_, SIGKILL);  // not reaped yet: the pid is still ours
}

void Standby::kill() {
    if (!incarnation_) return;
    group_.set_standby(0);
    ::kill(pid_, SIGKILL);
}

std::unique_ptr<Incarnation> Standby::take(IncarnationOwner& owner, UniqueFd out, UniqueFd err, UniqueFd channel) {
    if (!incarnation_) return nullptr;
    if (!incarnation_->activate(std::move(out), std::move(err), std::move(channel))) {
        spdlog::debug("{}: standby [pid {}] could not take its start", instance_, pid_);
        return nullptr;  // it died: its exit comes, and it is forgotten then (or with this object)
    }
    group_.set_standby(0);
    incarnation_->set_group(&group_);
    incarnation_->set_owner(owner);
    return std::move(incarnation_);
}

void Standby::on_exec(const ExecReport& report) {
    // Before it was taken, a report means it could not get ready (a cgroup it could not join) or died.
    if (report.error != 0) {
        spdlog::debug("{}: standby [pid {}] failed: {}", instance_, pid_, std::strerror(report.error));
    }
}

void Standby::on_gone(const policies::ExitStatus& status) {
    spdlog::debug("{}: standby [pid {}] ended ({}, signal {})", instance_, pid_, status.code, status.signal);
    group_.set_standby(0);
    incarnation_.reset();  // allowed inside on_gone
    // Last, from the stack: the owner may destroy this.
    if (auto callback = std::move(on_ended_)) callback();
}

}  // namespace corral::supervisor
