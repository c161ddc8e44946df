#include "supervisor/daemon/runtime_metrics.hpp"

#include <chrono>
#include <string>

namespace corral::supervisor {

using metrics::Label;
using metrics::Type;

RuntimeFamilies::RuntimeFamilies(metrics::Exposition& e)
    : heap_used_(e.family("corral_node_heap_used_bytes", Type::gauge, "V8 heap in use (process.memoryUsage)")),
      heap_total_(e.family("corral_node_heap_total_bytes", Type::gauge, "V8 heap reserved")),
      external_(e.family("corral_node_external_bytes", Type::gauge, "Memory of C++ objects bound to JavaScript")),
      array_buffers_(e.family("corral_node_array_buffers_bytes", Type::gauge, "Memory of ArrayBuffers and Buffers")),
      delay_p50_(e.family("corral_node_eventloop_delay_p50_seconds", Type::gauge,
                          "Median event-loop delay over the last report's interval")),
      delay_p99_(e.family("corral_node_eventloop_delay_p99_seconds", Type::gauge,
                          "99th percentile of the event-loop delay over the last report's interval")),
      delay_max_(e.family("corral_node_eventloop_delay_max_seconds", Type::gauge,
                          "Longest event-loop delay over the last report's interval")),
      handles_(e.family("corral_node_active_handles", Type::gauge, "Active handles and requests of the event loop")),
      gc_(e.family("corral_node_gc_seconds_total", Type::counter, "Time spent in garbage collection")),
      age_(e.family("corral_node_report_age_seconds", Type::gauge, "Seconds since the agent's last report")) {}

void RuntimeFamilies::add(const Instance& instance, policies::TimePoint now) {
    const auto& sample = instance.runtime();
    if (!sample) return;
    const std::string index = std::to_string(instance.index());
    const Label ids[] = {{"service", instance.spec().name}, {"instance", index}};
    const auto one = [&](metrics::Family& family, double value) { family.add(ids, 2, value); };
    const agent::RuntimeReport& report = sample->report;
    one(heap_used_, static_cast<double>(report.heap_used));
    one(heap_total_, static_cast<double>(report.heap_total));
    one(external_, static_cast<double>(report.external));
    one(array_buffers_, static_cast<double>(report.array_buffers));
    one(delay_p50_, report.loop_p50_ms / 1000);
    one(delay_p99_, report.loop_p99_ms / 1000);
    one(delay_max_, report.loop_max_ms / 1000);
    one(handles_, static_cast<double>(report.handles));
    one(gc_, report.gc_ms / 1000);
    one(age_, std::chrono::duration<double>(now - sample->at).count());
}

}  // namespace corral::supervisor
