// Instance: the liveness watch (`liveness`). It runs from the exec to the exit; the loop counts as held still
// by corral while the instance is stopping, cooling or frozen. A hung instance is SIGKILLed, its whole cgroup,
// and its death, classified `hung`, restarts it on its backoff like any other.
#include <signal.h>

#include <algorithm>

#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

void Instance::start_liveness() {
    if (!incarnation_ || lifecycle_.state == policies::State::stopping) return;
    // The agent answers requests for the stack in the diagnostics directory (instance_spawn.cpp).
    const bool stack = reports_runtime() && spec_->node_diagnostics;
    liveness_.start(reports_runtime() ? spec_->liveness : std::nullopt, stack ? diagnostics_dir() : std::filesystem::path(),
                    policies::Clock::now());
}

LivenessWatch::Owner::Pause Instance::loop_pause() const {
    const policies::TimePoint now = policies::Clock::now();
    Pause pause;
    pause.now = lifecycle_.state == policies::State::stopping || freezer_.frozen() || cooling_.state(now).has_value();
    pause.ended_at = cooled_until_;
    if (const auto thawed = freezer_.thawed_at()) pause.ended_at = std::max(pause.ended_at.value_or(*thawed), *thawed);
    return pause;
}

void Instance::on_hung(std::vector<std::string> evidence) {
    if (!incarnation_) return;
    death_.note_hung(std::move(evidence));
    freezer_.thaw();
    incarnation_->signal_group(SIGKILL);
}

}  // namespace corral::supervisor
