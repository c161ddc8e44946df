#include "supervisor/cli/every_daemon.hpp"

#include <algorithm>
#include <cstdio>

#include "supervisor/cli/client_session.hpp"
#include "supervisor/registry/registry.hpp"
#include "supervisor/registry/runtime_dir.hpp"

namespace corral::supervisor::cli {

namespace {

std::string heading(const registry::Entry& entry) {
    const std::string file = entry.service_file.empty() ? "(run) " + entry.state_dir.string() : entry.service_file.string();
    return "== " + file + " (pid " + std::to_string(entry.pid) + ") ==\n";
}

Json heading_json(const registry::Entry& entry) {
    return Json{{"daemon",
                 {{"pid", entry.pid},
                  {"service_file", entry.service_file.empty() ? Json(nullptr) : Json(entry.service_file.string())},
                  {"state_dir", entry.state_dir.string()},
                  {"socket", entry.socket.string()}}}};
}

}  // namespace

int on_every_daemon(const ClientOptions& options, const std::function<int(const ClientOptions&)>& command) {
    const std::vector<registry::Entry> entries = registry::read_entries(registry::runtime_dir_path());
    if (entries.empty()) {
        std::fprintf(stderr, "corral: no corral daemon is running\n");
        return kExitNoDaemon;
    }
    int worst = kExitOk;
    bool first = true;
    for (const auto& entry : entries) {
        if (options.json) {
            print(heading_json(entry).dump() + "\n");
        } else {
            print((first ? "" : "\n") + heading(entry));
        }
        first = false;
        ClientOptions one = options;
        one.socket = entry.socket;
        worst = std::max(worst, command(one));
    }
    return worst;
}

}  // namespace corral::supervisor::cli
