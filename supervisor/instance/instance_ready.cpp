// Instance: readiness and the agent's notices. With `ready` other than "exec" an incarnation stays
// `starting` after its exec until it is ready: its Node agent says it accepts on every socket corral holds
// for it ("listening"), it sends "ready" ("message"), or a probe succeeds (http, tcp); the ready timer kills
// it otherwise (a failed start). The agent's runtime reports are kept as they come (runtime()).
#include <spdlog/spdlog.h>

#include <utility>

#include "supervisor/instance/instance.hpp"

namespace corral::supervisor {

using policies::EventKind;

ipc::AttachOptions Instance::attach_options() {
    ipc::AttachOptions options;
    const std::uint64_t incarnation = ++incarnations_;
    listening_.clear();
    runtime_.reset();
    runtime_malformed_ = false;
    options.notices = [this, incarnation](const ipc::InstanceNotice& notice) {
        if (incarnation == incarnations_) on_notice(notice);
    };
    options.ready_message = spec_->ready.kind == config::ReadyKind::message;
    options.receiver = !replacement_;
    return options;
}

void Instance::on_notice(const ipc::InstanceNotice& notice) {
    if (notice.kind == ipc::InstanceNotice::Kind::ready) {
        handle({EventKind::ready, {}, "it sent \"ready\""});
        return;
    }
    if (notice.kind == ipc::InstanceNotice::Kind::runtime) return on_runtime_report(notice.detail);
    listening_.insert(notice.detail);
    spdlog::debug("{}: accepts on {}", name_, notice.detail);
    if (spec_->ready.kind != config::ReadyKind::listening) return;
    std::string addresses;
    for (const auto& address : spec_->listen.addresses) {
        if (!listening_.contains(address.text)) return;
        addresses += (addresses.empty() ? "" : ", ") + address.text;
    }
    handle({EventKind::ready, {}, "accepting on " + addresses});
}

void Instance::on_runtime_report(std::string_view payload) {
    std::string error;
    if (std::optional<agent::RuntimeReport> report = agent::parse_runtime_report(payload, error)) {
        runtime_ = RuntimeSample{*report, policies::Clock::now()};
        liveness_.report(report->loop_max_ms, runtime_->at);
    } else if (!std::exchange(runtime_malformed_, true)) {
        spdlog::warn("{}: ignored a malformed runtime report of the Node agent ({}): {:.200}", name_, error, payload);
    }
}

void Instance::await_ready(policies::Duration timeout) {
    arm_timer(EventKind::ready_timeout, timeout);
    if (!spec_->ready.probe) return;
    probe_ = ReadinessProbe::start(context_.loop, *spec_->ready.probe, {}, [this] {
        const std::string how = spec_->ready.probe->text() + " answered";
        probe_.reset();  // allowed inside on_ready
        handle({EventKind::ready, {}, how});
    });
}

void Instance::end_readiness() { probe_.reset(); }

std::optional<std::string> Instance::waiting_until_ready() const {
    if (lifecycle_.state != policies::State::starting || timer_event_ != EventKind::ready_timeout || !incarnation_) {
        return std::nullopt;
    }
    const std::string detail = not_ready_detail();
    return detail.empty() ? "its first probe" : detail;
}

std::string Instance::not_ready_detail() const {
    if (probe_ && !probe_->last_failure().empty()) return "last probe: " + probe_->last_failure();
    if (spec_->ready.kind == config::ReadyKind::listening) {
        return "accepting on " + std::to_string(listening_.size()) + " of " +
               std::to_string(spec_->listen.addresses.size()) + " socket(s)";
    }
    if (spec_->ready.kind == config::ReadyKind::message) return "it sent no \"ready\"";
    return {};
}

}  // namespace corral::supervisor
