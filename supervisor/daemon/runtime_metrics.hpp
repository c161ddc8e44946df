#pragma once
// The Node agent's latest runtime report of each instance as Prometheus families (README, "Metrics"):
// corral_node_*, labels service and instance. An instance with no report (no agent, ipc other than json,
// not started yet) has no sample; the families are declared all the same.
#include "policies/clock.hpp"
#include "supervisor/instance/instance.hpp"
#include "supervisor/metrics/exposition.hpp"

namespace corral::supervisor {

class RuntimeFamilies {
public:
    explicit RuntimeFamilies(metrics::Exposition& exposition);
    void add(const Instance& instance, policies::TimePoint now);

private:
    metrics::Family& heap_used_;
    metrics::Family& heap_total_;
    metrics::Family& external_;
    metrics::Family& array_buffers_;
    metrics::Family& delay_p50_;
    metrics::Family& delay_p99_;
    metrics::Family& delay_max_;
    metrics::Family& handles_;
    metrics::Family& gc_;
    metrics::Family& age_;
};

}  // namespace corral::supervisor
