// Daemon: the metrics (README, "Metrics"): the exposition that `corral metrics` and GET /metrics serve, and
// the HTTP endpoint of [supervisor] metrics: bound by run_daemon before the daemon starts (a bind failure
// refuses the start), served from run(), moved by a reload that changes the address.
#include <spdlog/spdlog.h>

#include "supervisor/daemon/daemon.hpp"
#include "supervisor/daemon/instance_metrics.hpp"
#include "supervisor/daemon/runtime_metrics.hpp"
#include "supervisor/metrics/process_metrics.hpp"

namespace corral::supervisor {

void Daemon::serve_metrics(UniqueFd listener) { metrics_listener_ = std::move(listener); }

bool Daemon::start_metrics() {
    if (!metrics_listener_) return true;
    auto endpoint = metrics::HttpEndpoint::start(loop_, std::move(metrics_listener_), [this] { return metrics_text(); });
    if (!endpoint) {
        spdlog::error("metrics: {}", endpoint.error().message());
        return false;
    }
    metrics_ = std::move(*endpoint);
    spdlog::info("metrics: serving http://{}/metrics", metrics_->address());
    return true;
}

bool Daemon::prepare_metrics(const config::Config& next, std::unique_ptr<metrics::HttpEndpoint>& fresh,
                             ReloadOutcome& outcome) {
    const auto& address = next.supervisor.metrics;
    if (address == config_.supervisor.metrics || !address) return true;
    Result<UniqueFd> listener = metrics::listen_tcp(address->host, address->port);
    auto endpoint = listener ? metrics::HttpEndpoint::start(loop_, std::move(*listener), [this] { return metrics_text(); })
                             : Result<std::unique_ptr<metrics::HttpEndpoint>>(listener.error());
    if (!endpoint) {
        outcome.errors.push_back("[supervisor] metrics: " + endpoint.error().message() + "; nothing was changed");
        spdlog::error("reload refused: {}", outcome.errors.back());
        return false;
    }
    fresh = std::move(*endpoint);
    return true;
}

void Daemon::commit_metrics(const config::Config& next, std::unique_ptr<metrics::HttpEndpoint> fresh) {
    if (next.supervisor.metrics == config_.supervisor.metrics) return;
    const std::string before = metrics_ ? metrics_->address() : std::string();
    metrics_ = std::move(fresh);
    if (metrics_) {
        spdlog::info("metrics: serving http://{}/metrics{}", metrics_->address(),
                     before.empty() ? std::string() : " (moved from " + before + ")");
    } else {
        spdlog::info("metrics: no longer served over HTTP (was {})", before);
    }
}

std::string Daemon::metrics_text() {
    const auto began = policies::Clock::now();
    const auto wall = std::chrono::system_clock::now();
    metrics::Exposition exposition;
    exposition.family("corral_build_info", metrics::Type::gauge, "corral's version, as a label")
        .add({{"version", CORRAL_VERSION}}, 1);
    InstanceFamilies instances(exposition);
    RuntimeFamilies runtime(exposition);
    // The serving instances: a rollout's replacement not yet in place, and instances on their way out,
    // would repeat the labels of the one they replace.
    for (const auto& service : services_) {
        for (const auto& instance : service.instances) {
            instances.add(*instance, began, wall);
            runtime.add(*instance, began);
        }
    }
    add_route_metrics(exposition, broker_.stats()["routes"]);
    metrics::add_process_metrics(exposition, metrics::read_own_process());
    exposition.family("corral_scrape_duration_seconds", metrics::Type::gauge,
                      "Time the daemon took to build the previous exposition")
        .add({}, last_scrape_seconds_);
    std::string text = exposition.text();
    last_scrape_seconds_ = std::chrono::duration<double>(policies::Clock::now() - began).count();
    return text;
}

}  // namespace corral::supervisor
