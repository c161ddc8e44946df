// Daemon: rolling restarts (see Daemon::Rollout). Stepped on a timer of their own, after any transition,
// never inside an instance's callback: a step may stop or replace the instance that called.
#include <spdlog/spdlog.h>

#include "supervisor/daemon/daemon.hpp"

namespace corral::supervisor {

using policies::State;

namespace {

// The replacement will not get to running without a start of its own: its first start failed.
bool gave_up(State state) { return state == State::backoff || policies::is_down(state); }

std::string pid_text(pid_t pid) { return pid > 0 ? " [pid " + std::to_string(pid) + "]" : ""; }

}  // namespace

void Daemon::begin_rollout(Service& service) {
    if (service.rollout && service.rollout->replacement) {
        spdlog::info("{}: the rollout under way starts over with the new file", service.spec->name);
        retire(std::move(service.rollout->replacement));
    }
    service.rollout = std::make_unique<Rollout>();
    // `service` may not be among services_ yet (apply() is building the next list): no check here.
    uv_timer_start(rollout_timer_.get(), on_rollout_step, 0, 0);
}

void Daemon::schedule_rollouts() {
    for (const auto& service : services_) {
        if (service.rollout) {
            uv_timer_start(rollout_timer_.get(), on_rollout_step, 0, 0);
            return;
        }
    }
}

void Daemon::on_rollout_step(uv_timer_t* timer) {
    auto* self = static_cast<Daemon*>(timer->data);
    if (self->shutting_down()) return;
    for (auto& service : self->services_) {
        if (service.rollout) self->step_rollout(service);
    }
}

void Daemon::step_rollout(Service& service) {
    Rollout& rollout = *service.rollout;
    const std::string& name = service.spec->name;
    if ((rollout.replacement || rollout.in_place) && !settle_replacement(service)) return;
    while (rollout.next < service.instances.size()) {
        Instance& old = *service.instances[rollout.next];
        if (gave_up(old.state())) {
            // Nothing to keep serving: it takes the new spec and starts with it when it starts.
            old.update_spec(service.spec);
            ++rollout.next;
            continue;
        }
        auto fresh = std::make_unique<Instance>(context_, service.spec, rollout.next, ++service.generations);
        fresh->prepare_group();
        if (service.spec->rollout.surge == 0) {
            spdlog::info("{}: rolling: replacing {}{} (surge = 0: it stops first)", name, old.name(), pid_text(old.pid()));
            retire(std::move(service.instances[rollout.next]));
            service.instances[rollout.next] = std::move(fresh);
            rollout.in_place = true;
            service.instances[rollout.next]->start();
        } else {
            spdlog::info("{}: rolling: starting the replacement of {}{}", name, old.name(), pid_text(old.pid()));
            rollout.replacement = std::move(fresh);
            rollout.replacement->start_as_replacement();
        }
        return;
    }
    spdlog::info("{}: rollout complete: {} instance(s) replaced", name, service.instances.size());
    service.rollout.reset();
}

bool Daemon::settle_replacement(Service& service) {
    Rollout& rollout = *service.rollout;
    Instance& fresh = rollout.replacement ? *rollout.replacement : *service.instances[rollout.next];
    if (fresh.state() == State::running) {
        if (rollout.replacement) {
            Instance& old = *service.instances[rollout.next];
            spdlog::info("{}: rolling: {}{} is ready; stopping the one it replaces{}", service.spec->name, fresh.name(),
                         pid_text(fresh.pid()), pid_text(old.pid()));
            std::swap(service.instances[rollout.next], rollout.replacement);
            retire(std::move(rollout.replacement));
        }
        rollout.in_place = false;
        ++rollout.next;
        return true;
    }
    if (!gave_up(fresh.state())) return false;
    spdlog::error("{}: rollout stopped: the replacement of {} did not get to running (see its lines above); the "
                  "instances not replaced yet keep serving",
                  service.spec->name, fresh.name());
    if (rollout.replacement) retire(std::move(rollout.replacement));
    service.rollout.reset();
    return false;
}

}  // namespace corral::supervisor
