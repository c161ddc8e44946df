// `corral metrics [--json]`: the daemon's metrics in Prometheus' text format, as GET /metrics serves them,
// through the control socket (whether [supervisor] metrics is set or not): for node_exporter's textfile
// collector, e.g. `corral metrics > /var/lib/node_exporter/corral.prom.tmp && mv ... corral.prom`.
#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/client_session.hpp"

namespace corral::supervisor::cli {

int metrics_command(const ClientOptions& options) {
    Session session(options, "metrics");
    if (!session.connect()) return session.exit_code();
    const auto result = session.call(protocol::Metrics{});
    if (!result) return session.exit_code();
    if (options.json) {
        print_json(*result);
    } else {
        print(result->value("text", std::string()));
    }
    return kExitOk;
}

}  // namespace corral::supervisor::cli
