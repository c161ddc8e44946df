#include "supervisor/instance/instance.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>

#include "base/instance_name.hpp"
#include "base/process_info.hpp"
#include "base/text_format.hpp"
#include "supervisor/instance/required_timer.hpp"

namespace corral::supervisor {

using policies::Action;
using policies::EventKind;
using policies::State;

namespace {

spdlog::level::level_enum level_for(State to) {
    switch (to) {
        case State::failed: return spdlog::level::err;
        case State::backoff: return spdlog::level::warn;
        default: return spdlog::level::info;
    }
}

// "oom-kill" -> "oom_kill": label values as Prometheus' own names are written.
std::string metric_reason(policies::ExitReason reason) {
    std::string text(policies::to_string(reason));
    for (char& c : text) c = c == '-' ? '_' : c;
    return text;
}

}  // namespace

Instance::Instance(const InstanceContext& context, std::shared_ptr<const config::ServiceSpec> spec, unsigned index,
                   unsigned generation)
    : context_(context),
      spec_(std::move(spec)),
      index_(index),
      name_(instance_name(spec_->name, index)),
      output_(context.loop, *this, context.log_dir, spec_->name, index, spec_->logs),
      death_(context.loop, *this,
             {name_, spec_->name, index_, context.supervisor.state_dir, context.supervisor.postmortem,
              output_.out_log(), output_.err_log()}),
      freezer_(name_, context.cgroups, [this] { return lifecycle_.state == State::running; }),
      cooling_(context.loop, *this, {name_, spec_->name, index_, context.broker, &freezer_}),
      throttle_(context.loop, {name_, spec_->name, index_, context.broker, context.cgroups, &freezer_}),
      timer_(required_timer(context.loop, name_, this)),
      generation_(generation),
      liveness_(context.loop, *this, name_) {}

Instance::~Instance() {
    standby_.reset();
    retired_.clear();
    // The daemon destroys only quiet instances; anything still running here would escape supervision.
    if (incarnation_) incarnation_->signal_group(SIGKILL);
    if (context_.restarts != nullptr) context_.restarts->cancel(this);
}

void Instance::prepare_group() { group_failed_ahead_ = !make_group(); }

void Instance::start() { handle({EventKind::start}); }

void Instance::start_as_replacement() {
    replacement_ = true;
    start();
}

// A frozen process cannot act on its stop signal: it is thawed first (it gets no messages meanwhile).
void Instance::stop() {
    restart_counts_.requested();
    freezer_.thaw();
    handle({EventKind::stop});
}

void Instance::restart() {
    restart_counts_.requested();
    freezer_.thaw();
    handle({EventKind::restart});
}

void Instance::kill_now() {
    freezer_.thaw();
    if (incarnation_) incarnation_->signal_group(SIGKILL);
}

void Instance::update_spec(std::shared_ptr<const config::ServiceSpec> spec) {
    if (group_ && group_limits(*spec) != group_limits(*spec_)) {
        group_->set_limits(group_limits(*spec));
        throttle_.set_configured_cap(spec->limits.cpu.max_percent);
    }
    if (standby_ && standby_->spec() != *spec) drop_standby();  // made for the old spec
    spec_ = std::move(spec);
    output_.set_limits(spec_->logs);
    liveness_.update(spec_->liveness, policies::Clock::now());
}

bool Instance::quiet() const {
    return policies::is_down(lifecycle_.state) && !incarnation_ && !death_.open() && output_.closed() &&
           !standby_ && retired_.empty();
}

policies::LifecyclePolicy Instance::lifecycle_policy() const {
    return {spec_->restart, spec_->backoff, spec_->start_limit, spec_->ready.kind != config::ReadyKind::exec,
            spec_->ready.timeout};
}

void Instance::handle(const policies::Event& event) {
    const State from = lifecycle_.state;
    policies::Decision decision = policies::decide(lifecycle_, event, lifecycle_policy(), policies::Clock::now());
    if (decision.reason.empty()) {
        spdlog::debug("{}: {} ignored in state {}", name_, policies::to_string(event.kind), policies::to_string(from));
        return;
    }
    if (decision.next.restarts > lifecycle_.restarts) restart_counts_.restarted();
    lifecycle_ = std::move(decision.next);
    const State to = lifecycle_.state;
    const pid_t shown_pid = incarnation_ ? incarnation_->pid() : (event.kind == EventKind::gone ? last_pid_ : 0);
    const std::string who = shown_pid > 0 ? name_ + " [pid " + std::to_string(shown_pid) + "]" : name_;
    // In a crash loop whose deaths are being counted (policies/postmortem_window.hpp), a restart's own
    // lines (backoff -> starting -> running) go to debug: the death's line says it, hundreds of times a second.
    const bool quiet_restart = death_.counting_deaths() && (to == State::starting || to == State::running);
    if (from != to) {
        spdlog::log(quiet_restart ? spdlog::level::debug : level_for(to), "{}: {} -> {}: {}", who, policies::to_string(from), policies::to_string(to),
                    decision.reason);
    } else {
        spdlog::log(decision.action == Action::kill ? spdlog::level::warn : spdlog::level::info, "{}: {}", who,
                    decision.reason);
    }
    if (policies::is_down(to)) drop_standby();  // nothing starts again without a start of its own
    if (to == State::running && replacement_) {
        replacement_ = false;
        if (context_.broker != nullptr && channel_id_ != 0) context_.broker->promote(spec_->name, index_, channel_id_);
    }
    // Observers hear about this transition before apply() can cause the next one.
    if (from != to) context_.observer->on_transition(*this, from, to, decision.reason);
    apply(decision);
}

void Instance::apply(const policies::Decision& decision) {
    switch (decision.action) {
        case Action::none: break;
        case Action::spawn:
            stop_timer();
            spawn();
            break;
        case Action::send_stop_signal:
            if (incarnation_) {
                incarnation_->mark_stopping();
                incarnation_->signal_group(spec_->stop.signal);
            }
            arm_timer(EventKind::stop_timeout, spec_->stop.timeout);
            break;
        case Action::kill:
            if (incarnation_) incarnation_->signal_group(SIGKILL);
            break;
        case Action::arm_backoff: arm_timer(EventKind::backoff_elapsed, decision.delay); break;
        case Action::cancel_timer:
            stop_timer();
            end_readiness();
            break;
        case Action::await_ready: await_ready(decision.delay); break;
    }
}

void Instance::arm_timer(EventKind event, policies::Duration delay) {
    stop_timer();
    timer_event_ = event;
    if (event == EventKind::backoff_elapsed && delay.count() == 0 && context_.restarts != nullptr) {
        context_.restarts->push(this, on_restart_turn);
        return;
    }
    uv_timer_start(timer_.get(), on_timer, static_cast<uint64_t>(delay.count()), 0);
}

void Instance::stop_timer() {
    uv_timer_stop(timer_.get());
    if (context_.restarts != nullptr) context_.restarts->cancel(this);
}

// A restart delay that elapses waits for its turn like a restart without delay.
void Instance::on_timer(uv_timer_t* timer) {
    auto* self = static_cast<Instance*>(timer->data);
    if (self->timer_event_ == EventKind::backoff_elapsed && self->context_.restarts != nullptr) {
        self->context_.restarts->push(self, on_restart_turn);
        return;
    }
    if (self->timer_event_ == EventKind::ready_timeout) {
        self->handle({EventKind::ready_timeout, {}, self->not_ready_detail()});
        return;
    }
    self->handle({self->timer_event_});
}

void Instance::on_restart_turn(void* self) { static_cast<Instance*>(self)->handle({EventKind::backoff_elapsed}); }

void Instance::on_exec(const ExecReport& report) {
    if (report.error != 0) {
        // The shim exits 127 and on_gone follows.
        if (report.stage == ExecStage::cgroup) {
            spdlog::error("{}: cannot join its cgroup {}: {}", name_, cgroup_name(), std::strerror(report.error));
        } else {
            spdlog::error("{}: cannot execute \"{}\": {}", name_, clip_for_log(spec_->command.front()),
                          std::strerror(report.error));
        }
        return;
    }
    freezer_.set_group(cgroup_name());
    cooling_.start(spec_->cooling, policies::Clock::now());
    throttle_.start(spec_->throttle, cgroup_name(), spec_->limits.cpu.max_percent);
    handle({EventKind::exec_ok});
    start_liveness();
    if (incarnation_) prepare_standby();
}

void Instance::on_gone(const policies::ExitStatus& status) {
    // Dropped here, inside its own callback: Incarnation allows it, and nothing below needs it.
    const std::unique_ptr<Incarnation> finished = std::move(incarnation_);
    end_readiness();
    liveness_.end();
    throttle_.end();
    if (context_.broker != nullptr) context_.broker->detach(spec_->name, index_, channel_id_);
    cooling_.end();
    cpu_.forget();
    freezer_.set_group({});
    if (memory_actions_) memory_actions_->incarnation_gone();
    death_.exited(status);
}

DeathInvestigation::Circumstances Instance::circumstances() const {
    return {lifecycle_.state == State::stopping, output_.stderr_open(), lifecycle_.restarts, spec_->limits,
            spec_->node_diagnostics ? diagnostics_dir() : std::filesystem::path()};
}

void Instance::on_death_concluded(const DeathInvestigation::Conclusion& conclusion) {
    if (lifecycle_.state != State::stopping) {
        restart_counts_.died(metric_reason(conclusion.classification.reason), conclusion.provisional);
    }
    handle({EventKind::gone, conclusion.status, conclusion.cause});
    if (quiet()) context_.observer->on_quiet(*this);
}

void Instance::on_investigation_settled() {
    if (const auto& last = last_exit()) restart_counts_.settled(metric_reason(last->reason));
    context_.observer->on_last_exit(*this);
    if (quiet()) context_.observer->on_quiet(*this);
}

void Instance::on_lines(std::string_view stream, std::string_view lines) {
    if (stream == "err") death_.note_stderr(lines);
    context_.observer->on_output(*this, stream, lines);
}

void Instance::on_capture_closed() {
    if (death_.reconsider()) return;
    if (quiet()) context_.observer->on_quiet(*this);
}

void Instance::on_cooling(bool cooling, const std::string& reason) {
    if (!cooling) cooled_until_ = policies::Clock::now();
    if (context_.observer != nullptr) context_.observer->on_cooling(*this, cooling, reason);
}

const std::optional<cgroup::MemoryStats>& Instance::memory() const {
    static const std::optional<cgroup::MemoryStats> none;
    return monitor_ ? monitor_->last() : none;
}

bool Instance::sample_memory(std::int64_t now_ms, policies::TimePoint now, bool full) {
    std::optional<cgroup::MemoryStats> sampled;
    bool changed = false;
    if (group_ && monitor_) {
        // These cooling triggers need the full statistics (write counters, PSI) at every sample.
        const auto trigger = spec_->cooling ? std::optional(spec_->cooling->trigger) : std::nullopt;
        const bool eager = full || trigger == policies::CoolingTrigger::write_rate ||
                           trigger == policies::CoolingTrigger::pressure;
        MemoryMonitor::Verdict verdict;
        if (monitor_->tick(now, eager, trigger == policies::CoolingTrigger::memory)) {
            Result<cgroup::MemoryStats> stats = group_->memory();
            if (stats) {
                Result<std::vector<pid_t>> pids = context_.cgroups->procs(group_->name());
                const std::uint64_t written = pids ? written_bytes(*pids) : 0;
                verdict = monitor_->sample(*stats, written, now_ms, now);
                changed = monitor_->changed();
                sampled = *stats;
            } else {
                spdlog::debug("{}: {}", name_, stats.error().message());
            }
        } else {
            verdict = monitor_->check_usage();
            sampled = monitor_->latest();
        }
        if (verdict.action != MemoryMonitor::Action::none && incarnation_) {
            if (verdict.action == MemoryMonitor::Action::restart) death_.note_memory_limit(verdict.why);
            if (verdict.action == MemoryMonitor::Action::kill_thrashing) death_.note_thrashing(verdict.why);
            memory_actions_->carry_out(verdict, *incarnation_, spec_->stop);
        }
    }
    cooling_.sample(spec_->cooling, sampled ? &*sampled : nullptr, monitor_ ? monitor_->write_rate() : 0, now_ms, now);
    if (group_ && incarnation_ && !full) cpu_.sample(*context_.cgroups, group_->name(), now);
    return changed;
}

void Instance::on_memory_threshold() {
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (sample_memory(now_ms, policies::Clock::now(), true) && context_.observer != nullptr) {
        context_.observer->on_memory_changed(*this);
    }
}

}  // namespace corral::supervisor
