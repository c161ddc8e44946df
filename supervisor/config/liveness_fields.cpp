#include "supervisor/config/liveness_fields.hpp"

#include <chrono>
#include <string>

#include "base/text_format.hpp"
#include "supervisor/config/service_fields.hpp"

namespace corral::config {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kLivenessKeys[] = {"event_loop", "startup"};
constexpr std::string_view kLivenessExample = "a table such as { event_loop = \"10s\" }";
constexpr policies::Duration kShortestEventLoop = 200ms;  // twice the shortest sample_interval
constexpr policies::Duration kLongest = 1h;

// Why the Node agent cannot report for this service; "" when it can.
std::string no_reports(const ServiceSpec& spec) {
    if (!spec.node_agent) return "node_agent = false turns off the Node agent that reports on the event loop";
    if (spec.ipc != IpcMode::json) {
        return "the Node agent reports on the json IPC channel, and this service has ipc = \"" +
               std::string(ipc_mode_name(spec.ipc)) + "\"";
    }
    return {};
}

}  // namespace

void read_liveness(Diagnostics& diagnostics, TableReader& service, const ServiceSpec& spec,
                   std::optional<policies::LivenessParams>& out) {
    const toml::table* table = service.read_table("liveness", kLivenessExample);
    if (table == nullptr) return;
    const std::string path = service.path_of("liveness");
    TableReader reader(diagnostics, *table, path, kLivenessKeys);
    policies::LivenessParams params;
    const Field event_loop = reader.read_duration("event_loop", kShortestEventLoop, kLongest, params.event_loop);
    const Field startup = reader.read_duration("startup", 1ms, kLongest, params.startup);
    reader.finish();
    if (event_loop == Field::absent) {
        diagnostics.error(*table, "missing required key \"event_loop\" in [" + path + "] (expected " +
                                      std::string(kLivenessExample) + ")");
        return;
    }
    if (const std::string problem = no_reports(spec); !problem.empty()) {
        diagnostics.error(*table, "invalid value for " + path + ": liveness needs the Node agent's runtime reports, "
                                      "and " + problem + " (expected node_agent = true and ipc = \"json\", or no liveness)");
        return;
    }
    if (event_loop == Field::valid && startup != Field::invalid) out = params;
}

void check_liveness(Diagnostics& diagnostics, std::span<const ServiceEntry> entries, const Config& config) {
    const policies::Duration least = 2 * config.supervisor.sample_interval;
    for (const ServiceSpec& spec : config.services) {
        if (!spec.liveness || spec.liveness->event_loop >= least) continue;
        for (const ServiceEntry& entry : entries) {
            const toml::table* liveness = entry.table && entry.name == spec.name && entry.table->get("liveness")
                                              ? entry.table->get("liveness")->as_table()
                                              : nullptr;
            const toml::node* value = liveness ? liveness->get("event_loop") : nullptr;
            if (value == nullptr) continue;
            diagnostics.error(*value, invalid("duration", key_path(key_path(key_path("services", spec.name), "liveness"), "event_loop"),
                                              "at least twice [supervisor] sample_interval, " +
                                                  duration_as_written(least) + ": the Node agent reports once per "
                                                  "sample interval",
                                              *value));
        }
    }
}

}  // namespace corral::config
