#pragma once
// The daemon's figures as Prometheus families (the names are fixed: README, "Metrics"). InstanceFamilies
// declares every family of the instances at once, so that each scrape lists them in the same order whether
// or not an instance has a sample for it, then takes one instance at a time; add_route_metrics reads the
// broker's counters from its status (Broker::stats()).
//   labels: service="web", instance="0"; routes: from, to, instance (the receiving instance's index)
// Memory, CPU and OOM kills are what the daemon's sampler read last (every [supervisor] sample_interval):
// a scrape reads no cgroup file, so that it stays cheap with many instances.
#include <chrono>

#include <nlohmann/json.hpp>

#include "policies/clock.hpp"
#include "supervisor/instance/instance.hpp"
#include "supervisor/metrics/exposition.hpp"

namespace corral::supervisor {

class InstanceFamilies {
public:
    explicit InstanceFamilies(metrics::Exposition& exposition);
    // `now` and `wall` are the same instant on the two clocks (the start time is a unix time).
    void add(const Instance& instance, policies::TimePoint now, std::chrono::system_clock::time_point wall);

private:
    metrics::Family& up_;
    metrics::Family& state_;
    metrics::Family& restarts_;
    metrics::Family& start_time_;
    metrics::Family& memory_;
    metrics::Family& memory_peak_;
    metrics::Family& memory_limit_;
    metrics::Family& memory_anon_;
    metrics::Family& memory_file_;
    metrics::Family& cpu_;
    metrics::Family& oom_kills_;
    metrics::Family& cooling_;
    metrics::Family& cooled_;
};

// `routes`: the "routes" list of Broker::stats().
void add_route_metrics(metrics::Exposition& exposition, const nlohmann::json& routes);

}  // namespace corral::supervisor
