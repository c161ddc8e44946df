// Instance: the standby, its next incarnation made in advance (supervisor/instance/standby.hpp).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {
namespace {

// Opens a pipe whose read end `capture` (an initialized, unopened uv pipe) reads; returns the write end.
UniqueFd connect_capture(uv_pipe_t* capture) {
    uv_file fds[2];
    if (capture == nullptr || uv_pipe(fds, 0, 0) != 0) return {};
    UniqueFd write_end(fds[1]);
    if (uv_pipe_open(capture, fds[0]) != 0) {
        ::close(fds[0]);
        return {};
    }
    return write_end;
}

}  // namespace

bool Instance::wants_standby() const {
    return group_ != nullptr && spec_->standby && spec_->restart != policies::RestartMode::never;
}

cgroup::Limits Instance::group_limits(const config::ServiceSpec& spec) const {
    cgroup::Limits limits = spec.limits;
    if (spec.standby && spec.restart != policies::RestartMode::never && limits.pids.max) ++*limits.pids.max;
    return limits;
}

void Instance::prepare_standby() {
    if (!wants_standby() || (standby_ && standby_->alive() && standby_->spec() == *spec_)) return;
    standby_ = Standby::spawn(context_.loop, *context_.reaper, spawn_request({}, true), *group_, spec_, name_);
}

bool Instance::spawn_from_standby() {
    std::unique_ptr<Standby> standby = std::move(standby_);
    if (!standby || !standby->alive() || standby->spec() != *spec_) return false;
    prepare_diagnostics();
    prepare_memory_watch();
    const InstanceOutput::Pipes pipes = output_.prepare(spec_->logs.timestamps);
    UniqueFd out = connect_capture(pipes.out);
    UniqueFd err = connect_capture(pipes.err);
    std::optional<ipc::ChannelSocket> channel = open_channel();
    if (!out || !err || (has_channel() && !channel)) {
        output_.abandon();
        return false;
    }
    incarnation_ = standby->take(*this, std::move(out), std::move(err),
                                 channel ? std::move(channel->theirs) : UniqueFd());
    if (!incarnation_) {
        output_.abandon();
        return false;
    }
    last_pid_ = incarnation_->pid();
    if (channel) {
        const auto mode = spec_->ipc == config::IpcMode::advanced ? ipc::Serialization::advanced : ipc::Serialization::json;
        context_.broker->attach(spec_->name, index_, mode, channel->ours.release(), channel->their_send_buffer);
    }
    death_.begin(last_pid_, std::chrono::system_clock::now(), monitor_.get());
    output_.started();
    spdlog::debug("{}: started from its standby [pid {}]", name_, last_pid_);
    return true;
}

}  // namespace corral::supervisor
