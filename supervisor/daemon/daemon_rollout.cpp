// Daemon: rolling restarts (see Daemon::Rollout). Stepped on a timer of their own, after any transition,
// never inside an instance's callback: a step may stop or replace the instance that called.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "supervisor/daemon/daemon.hpp"

namespace corral::supervisor {

using policies::State;

namespace {

// The instance will not get to running without a start of its own: its start failed, or it is down.
bool gave_up(State state) { return state == State::backoff || policies::is_down(state); }

std::string pid_text(pid_t pid) { return pid > 0 ? " [pid " + std::to_string(pid) + "]" : ""; }

}  // namespace

void Daemon::begin_rollout(Service& service, std::vector<Awaited>& awaited) {
    if (service.rollout) {
        spdlog::info("{}: the rollout under way starts over with the new file", service.spec->name);
        abort_rollout(service);
    }
    service.rollout = std::make_unique<Rollout>();
    for (const auto& instance : service.instances) {
        auto fresh = std::make_unique<Instance>(context_, service.spec, instance->index(), ++service.generations);
        awaited.push_back({instance.get(), policies::WaitGoal::down});
        awaited.push_back({fresh.get(), policies::WaitGoal::new_start});
        service.rollout->replacements.push_back(std::move(fresh));
    }
    // `service` may not be among services_ yet (apply() is building the next list): no check here.
    uv_timer_start(rollout_timer_.get(), on_rollout_step, 0, 0);
}

void Daemon::roll_service(const protocol::Target& roll, ReloadOutcome& outcome) {
    const auto service = std::find_if(services_.begin(), services_.end(),
                                      [&](const Service& s) { return s.spec->name == roll.service; });
    if (service == services_.end()) {
        outcome.errors.push_back("reload: no service \"" + roll.service + "\"");
        return;
    }
    const bool rolling = std::any_of(outcome.changes.begin(), outcome.changes.end(), [&](const auto& change) {
        return change.first == roll.service && (change.second == "restart" || change.second == "add");
    });
    if (rolling || service->instances.empty()) return;
    spdlog::info("{}: rolling its instances (reload {})", roll.service, roll.service);
    outcome.changes.emplace_back(roll.service, "roll");
    begin_rollout(*service, outcome.awaited);
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
    self->notify_if_settled();
}

void Daemon::step_rollout(Service& service) {
    Rollout& rollout = *service.rollout;
    const std::string& name = service.spec->name;
    if (rollout.started && !settle_replacement(service)) return;
    if (rollout.next >= service.instances.size() || rollout.next >= rollout.replacements.size()) {
        spdlog::info("{}: rollout complete: {} instance(s) replaced", name, rollout.next);
        service.rollout.reset();
        return;
    }
    Instance& old = *service.instances[rollout.next];
    Instance& fresh = *rollout.replacements[rollout.next];
    fresh.carry_restart_counts(old);
    fresh.prepare_group();
    rollout.started = true;
    if (service.spec->rollout.surge == 0 || gave_up(old.state())) {
        // Nothing to keep serving meanwhile, or the instance may not run twice: it goes first.
        spdlog::info("{}: rolling: replacing {}{}{}", name, old.name(), pid_text(old.pid()),
                     gave_up(old.state()) ? "" : " (surge = 0: it stops first)");
        retire(std::move(service.instances[rollout.next]));
        service.instances[rollout.next] = std::move(rollout.replacements[rollout.next]);
        service.instances[rollout.next]->start();
        return;
    }
    spdlog::info("{}: rolling: starting the replacement of {}{}", name, old.name(), pid_text(old.pid()));
    fresh.start_as_replacement();
}

bool Daemon::settle_replacement(Service& service) {
    Rollout& rollout = *service.rollout;
    Instance* beside = rollout.beside();
    Instance& fresh = beside != nullptr ? *beside : *service.instances[rollout.next];
    if (fresh.state() == State::running) {
        if (beside != nullptr) {
            Instance& old = *service.instances[rollout.next];
            spdlog::info("{}: rolling: {}{} is ready; stopping the one it replaces{}", service.spec->name, fresh.name(),
                         pid_text(fresh.pid()), pid_text(old.pid()));
            std::swap(service.instances[rollout.next], rollout.replacements[rollout.next]);
            retire(std::move(rollout.replacements[rollout.next]));
        }
        rollout.started = false;
        ++rollout.next;
        return true;
    }
    if (!gave_up(fresh.state())) return false;
    spdlog::error("{}: rollout stopped: the replacement of {} did not get to running (see its lines above); the "
                  "instances not replaced yet keep serving",
                  service.spec->name, fresh.name());
    abort_rollout(service);
    return false;
}

// The started replacement beside its instance stops; those not started yet go (a waiting reload hears it).
void Daemon::abort_rollout(Service& service) {
    Rollout& rollout = *service.rollout;
    for (std::size_t index = rollout.next; index < rollout.replacements.size(); ++index) {
        std::unique_ptr<Instance>& replacement = rollout.replacements[index];
        if (!replacement) continue;
        if (index == rollout.next && rollout.started) {
            retire(std::move(replacement));
        } else {
            control_.instance_removed(*replacement);
            replacement.reset();
        }
    }
    service.rollout.reset();
}

}  // namespace corral::supervisor
