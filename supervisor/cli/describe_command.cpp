// `corral describe TARGET [--json]`: one request, the daemon's description printed as describe_view.hpp
// words it, or as it came with --json.
#include <cstdio>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/describe_view.hpp"

namespace corral::supervisor::cli {

int describe_command(const ClientOptions& options, const std::string& target_text) {
    const auto target = read_target("describe", target_text);
    if (!target) return kExitUsage;
    if (target->all()) {
        std::fprintf(stderr, "corral describe: give a service or an instance (NAME or NAME#INDEX), not \"all\"\n");
        return kExitUsage;
    }
    Session session(options, "describe");
    if (!session.connect()) return session.exit_code();
    const auto result = session.call(protocol::Describe{*target});
    if (!result) return session.exit_code();
    options.json ? print_json(*result) : print(render_describe(*result, WallClock::now(), Style{options.color}));
    return kExitOk;
}

}  // namespace corral::supervisor::cli
