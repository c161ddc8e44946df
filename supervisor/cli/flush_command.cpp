// corral flush [TARGET]: empties logs, like `pm2 flush`. Through the daemon, which truncates the files it has
// open; with no daemon, on the files of the state directory.
#include <cstdio>
#include <set>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/log_files.hpp"
#include "supervisor/cli/socket_path.hpp"
#include "supervisor/instance/log_file.hpp"

namespace corral::supervisor::cli {
namespace {

std::string joined(const Json& names) {
    std::string text;
    for (const auto& name : names) text += (text.empty() ? "" : ", ") + name.get<std::string>();
    return text;
}

int flush_files(const ClientOptions& options, const protocol::Target& target) {
    const std::filesystem::path dir = options.socket.parent_path() / "logs";
    std::fprintf(stderr, "corral flush: no daemon answered at %s; emptying the files in %s\n",
                 display_path(options.socket).c_str(), display_path(dir).c_str());
    const auto files = find_log_files(dir, target, protocol::LogStream::both);
    if (files.empty()) {
        std::fprintf(stderr, "corral flush: no logs of \"%s\" in %s\n", protocol::target_text(target).c_str(),
                     display_path(dir).c_str());
        return kExitFailed;
    }
    std::set<std::string> seen;
    Json names = Json::array();
    for (const LogFileName& file : files) {
        LogFile(file.path, 0, 0).flush();
        if (seen.insert(file.instance()).second) names.push_back(file.instance());
    }
    if (options.json) {
        print_json(Json{{"instances", names}});
    } else {
        print("flushed the logs of " + joined(names) + "\n");
    }
    return kExitOk;
}

}  // namespace

int flush_command(const ClientOptions& options, const std::string& target_text) {
    const auto target = read_target("flush", target_text);
    if (!target) return kExitUsage;
    Session session(options, "flush");
    if (!session.connect(true)) {
        if (!session.no_daemon()) return session.exit_code();
        std::error_code ec;
        if (std::filesystem::is_directory(options.socket.parent_path() / "logs", ec)) return flush_files(options, *target);
        session.report_no_daemon();
        return session.exit_code();
    }
    const auto result = session.call(protocol::Flush{*target});
    if (!result) return session.exit_code();
    if (options.json) {
        print_json(*result);
    } else if (result->contains("instances") && (*result)["instances"].is_array()) {
        print("flushed the logs of " + joined((*result)["instances"]) + "\n");
    }
    return kExitOk;
}

}  // namespace corral::supervisor::cli
