#include "supervisor/daemon/instance_metrics.hpp"

#include <string>

namespace corral::supervisor {

using metrics::Family;
using metrics::Label;
using metrics::Type;

InstanceFamilies::InstanceFamilies(metrics::Exposition& e)
    : up_(e.family("corral_instance_up", Type::gauge, "1 while the instance's process runs, else 0")),
      state_(e.family("corral_instance_state", Type::gauge,
                      "1 for the instance's current state (starting, running, cooling, backoff, stopping, stopped, "
                      "failed, exited)")),
      restarts_(e.family("corral_instance_restarts_total", Type::counter,
                         "Restarts by why the previous process ended (exit_code, signal, oom_kill, memory_limit, "
                         "v8_heap_oom, thrashing, manual, reload, ...)")),
      start_time_(e.family("corral_instance_start_time_seconds", Type::gauge,
                           "Unix time the current (or last) process started")),
      memory_(e.family("corral_instance_memory_bytes", Type::gauge, "Memory charged to the instance's cgroup")),
      memory_peak_(e.family("corral_instance_memory_peak_bytes", Type::gauge, "Peak memory of the instance's cgroup")),
      memory_limit_(e.family("corral_instance_memory_limit_bytes", Type::gauge,
                             "The cgroup's hard memory limit (absent when unlimited)")),
      memory_anon_(e.family("corral_instance_memory_anon_bytes", Type::gauge, "Anonymous memory of the cgroup")),
      memory_file_(e.family("corral_instance_memory_file_bytes", Type::gauge, "Page cache charged to the cgroup")),
      cpu_(e.family("corral_instance_cpu_seconds_total", Type::counter, "CPU time of the instance's cgroup")),
      oom_kills_(e.family("corral_instance_oom_kills_total", Type::counter,
                          "Processes of the instance's cgroup killed by the kernel's OOM killer")),
      cooling_(e.family("corral_instance_cooling", Type::gauge, "1 while the instance is cooled")),
      cooled_(e.family("corral_instance_cooled_seconds_total", Type::counter, "Time the instance spent cooled")) {}

void InstanceFamilies::add(const Instance& instance, policies::TimePoint now,
                           std::chrono::system_clock::time_point wall) {
    const std::string index = std::to_string(instance.index());
    const std::string& service = instance.spec().name;
    const Label ids[] = {{"service", service}, {"instance", index}};
    const auto one = [&](Family& family, double value) { family.add(ids, 2, value); };
    const auto with = [&](Family& family, std::string_view name, std::string_view value, double number) {
        const Label labels[] = {ids[0], ids[1], {name, value}};
        family.add(labels, 3, number);
    };
    const bool running = instance.pid() > 0;
    const bool cooling = instance.cooling_state(now).has_value();
    one(up_, running ? 1 : 0);
    with(state_, "state", cooling ? "cooling" : policies::to_string(instance.state()), 1);
    for (const auto& [reason, count] : instance.restarts_by_reason()) {
        with(restarts_, "reason", reason, static_cast<double>(count));
    }
    if (instance.started_at() != policies::TimePoint{}) {
        const auto started = wall - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - instance.started_at());
        one(start_time_, std::chrono::duration<double>(started.time_since_epoch()).count());
    }
    if (const auto& memory = instance.memory()) {
        one(memory_, static_cast<double>(memory->current));
        one(memory_peak_, static_cast<double>(memory->peak));
        if (memory->max) one(memory_limit_, static_cast<double>(*memory->max));
        one(memory_anon_, static_cast<double>(memory->anon));
        one(memory_file_, static_cast<double>(memory->file));
        one(oom_kills_, static_cast<double>(memory->oom_kills));
    }
    if (const auto cpu = instance.cpu_seconds()) one(cpu_, *cpu);
    one(cooling_, cooling ? 1 : 0);
    one(cooled_, std::chrono::duration<double>(instance.cooled_for(now)).count());
}

void add_route_metrics(metrics::Exposition& e, const nlohmann::json& routes) {
    struct Counter {
        const char* key;
        Family& family;
    };
    const Counter counters[] = {
        {"received", e.family("corral_route_received_messages_total", Type::counter, "Messages the route took in")},
        {"delivered", e.family("corral_route_delivered_messages_total", Type::counter,
                               "Messages delivered to the receiving instance")},
        {"dropped", e.family("corral_route_dropped_messages_total", Type::counter, "Messages dropped by the route")},
        {"spilled", e.family("corral_route_spilled_messages_total", Type::counter,
                             "Messages spilled to the journal on disk")},
        {"queued_messages", e.family("corral_route_queued_messages", Type::gauge, "Messages waiting for delivery")},
        {"queued_bytes", e.family("corral_route_queued_bytes", Type::gauge, "Bytes waiting for delivery")},
    };
    for (const auto& route : routes) {
        const std::string from = route.value("from", "");
        const std::string to = route.value("to", "");
        for (const auto& destination : route["destinations"]) {
            const std::string name = destination.value("instance", "");
            const auto hash = name.rfind('#');
            const std::string index = hash == std::string::npos ? name : name.substr(hash + 1);
            const Label labels[] = {{"from", from}, {"to", to}, {"instance", index}};
            for (const Counter& counter : counters) {
                counter.family.add(labels, 3, destination.value(counter.key, 0.0));
            }
        }
    }
}

}  // namespace corral::supervisor
