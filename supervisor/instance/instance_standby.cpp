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

// A service that may be started again, with the standby on.
bool standby_enabled(const config::ServiceSpec& spec) {
    return spec.standby && spec.restart != policies::RestartMode::never;
}

}  // namespace

bool Instance::wants_standby() const { return group_ != nullptr && standby_enabled(*spec_); }

cgroup::Limits Instance::group_limits(const config::ServiceSpec& spec) const {
    cgroup::Limits limits = spec.limits;
    if (standby_enabled(spec) && limits.pids.max) ++*limits.pids.max;
    return limits;
}

void Instance::prepare_standby() {
    if (!wants_standby() || (standby_ && standby_->alive() && standby_->spec() == *spec_)) return;
    drop_standby();
    standby_ = Standby::spawn(context_.loop, *context_.reaper, spawn_request({}, true), *group_, spec_, name_);
    if (Standby* made = standby_.get()) made->on_ended([this, made] { forget(made); });
}

void Instance::drop_standby() {
    if (!standby_) return;
    std::unique_ptr<Standby> standby = std::move(standby_);
    if (!standby->alive()) return;
    standby->kill();
    Standby* retired = standby.get();
    retired->on_ended([this, retired] { forget(retired); });
    retired_.push_back(std::move(standby));
}

// A standby's exit was heard: the current one is forgotten (the next start is a plain one), a retired one
// is gone for good.
void Instance::forget(Standby* standby) {
    if (standby == nullptr) return;
    if (standby_.get() == standby) {
        standby_.reset();
    } else {
        std::erase_if(retired_, [standby](const auto& held) { return held.get() == standby; });
    }
    if (quiet()) context_.observer->on_quiet(*this);
}

bool Instance::spawn_from_standby() {
    if (!standby_ || !standby_->alive() || standby_->spec() != *spec_) {
        drop_standby();
        return false;
    }
    std::unique_ptr<Standby> standby = std::move(standby_);
    prepare_diagnostics();
    prepare_memory_watch();
    const InstanceOutput::Pipes pipes = output_.prepare(spec_->logs.timestamps);
    UniqueFd out = connect_capture(pipes.out);
    UniqueFd err = connect_capture(pipes.err);
    std::optional<ipc::ChannelSocket> channel = open_channel();
    if (!out || !err || (has_channel() && !channel)) {
        output_.abandon();
        standby_ = std::move(standby);
        drop_standby();  // out of descriptors: the plain start that follows says so
        return false;
    }
    incarnation_ = standby->take(*this, std::move(out), std::move(err),
                                 channel ? std::move(channel->theirs) : UniqueFd());
    if (!incarnation_) {
        output_.abandon();
        return false;
    }
    began(channel);
    spdlog::debug("{}: started from its standby [pid {}]", name_, last_pid_);
    return true;
}

}  // namespace corral::supervisor
