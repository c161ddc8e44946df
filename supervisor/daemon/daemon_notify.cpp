// Daemon: what systemd hears (SystemdNotifier). READY=1 waits until the daemon has settled: every instance
// of the first start (or of a reload) has started or ended its start, the way a waiting start or reload
// counts it, and the instances a reload stopped are down. A start that failed counts as settled: systemd
// would otherwise time the whole unit out for one crashing service, which corral restarts on its own.

#include "supervisor/daemon/daemon.hpp"

namespace corral::supervisor {

using policies::State;

Daemon::ReloadOutcome Daemon::reload(const std::optional<protocol::Target>& roll) {
    notifier_.reloading();
    ReloadOutcome outcome = read_and_apply(roll);
    notifier_.expect_ready();
    notify_if_settled();
    return outcome;
}

bool Daemon::settled() const {
    for (const auto& service : services_) {
        if (service.rollout) return false;
    }
    bool settled = true;
    for_each_instance([&](const Instance& instance) {
        const State state = instance.state();
        if (state == State::starting || state == State::stopping || (policies::is_down(state) && instance.pid() > 0)) {
            settled = false;
        }
    });
    return settled;
}

void Daemon::notify_if_settled() {
    if (notifier_.awaiting_ready() && settled()) notifier_.ready();
}

// Every process there is: a replacement beside the instance it replaces counts, and so does one that a
// reload stops until it is down.
std::string Daemon::notify_status() const {
    std::vector<State> states;
    for (const auto& service : services_) {
        for (const auto& instance : service.instances) states.push_back(instance->state());
        if (service.rollout && service.rollout->beside()) states.push_back(service.rollout->beside()->state());
    }
    for (const auto& instance : retiring_) {
        if (!policies::is_down(instance->state())) states.push_back(instance->state());
    }
    return notify_summary(services_.size(), states);
}

}  // namespace corral::supervisor
