#include "supervisor/cli/adhoc_commands.hpp"

#include <unistd.h>

#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/postmortem_text.hpp"
#include "supervisor/cli/socket_path.hpp"
#include "supervisor/cli/view_text.hpp"
#include "supervisor/cli/wait_commands.hpp"

namespace corral::supervisor::cli {

namespace {

std::string counted(std::size_t count, const char* what) {
    return std::to_string(count) + " " + what + (count == 1 ? "" : "s");
}

std::string render_added(const Json& result) {
    const std::string file = text_of(result, "file");
    const std::string daemon = file.empty() ? text_of(result, "state_dir") : file;
    const auto instances = result.find("instances");
    const std::size_t count = instances != result.end() && instances->is_array() ? instances->size() : 0;
    return "added service " + text_of(result, "service") + " (" + counted(count, "instance") +
           ") to the daemon of " + display_path(daemon) + "\n";
}

}  // namespace

int add_command(const ClientOptions& options, const config::ServiceSpec& spec, const WaitOptions& wait) {
    protocol::Add add;
    add.service = spec.name;
    add.command = spec.command;
    add.cwd = spec.cwd.string();
    if (!spec.env.empty()) add.env = spec.env;
    if (spec.instances != 1) add.instances = spec.instances;
    if (spec.restart != policies::RestartMode::always) add.restart = spec.restart;
    int exit_code = kExitOk;
    add.timeout = read_timeout("run", wait.timeout, exit_code);
    if (exit_code != kExitOk) return exit_code;
    add.wait = true;
    return wait_for_result(options, add, {}, render_added);
}

std::optional<int> add_to_running_daemon(const RunOptions& options, const config::ServiceSpec& spec,
                                         const std::filesystem::path& state_dir) {
    ClientOptions client;
    client.json = options.json;
    client.color = color_wanted(STDOUT_FILENO);
    client.terminal = isatty(STDOUT_FILENO) == 1;
    if (options.socket || options.config_file) {
        const Lookup socket = find_socket(options.socket, options.config_file);
        if (!socket.ok()) {
            print_lookup_errors(socket, "give the socket with --socket instead");
            return kExitUsage;
        }
        client.socket = socket.path;
        return add_command(client, spec);
    }
    client.socket = state_dir / kSocketName;
    auto probe = ControlClient::connect(client.socket);
    if (!probe && probe.error().kind == ClientError::Kind::no_daemon) return std::nullopt;
    return add_command(client, spec);
}

int delete_command(const ClientOptions& options, const std::vector<std::string>& names, const WaitOptions& wait) {
    int exit_code = kExitOk;
    const auto timeout = read_timeout("delete", wait.timeout, exit_code);
    if (exit_code != kExitOk) return exit_code;
    for (const std::string& name : names) {
        protocol::Delete command{name};
        if (!wait.no_wait) {
            command.wait = true;
            command.timeout = timeout;
        }
        const int code = wait_for_result(options, command, {}, [&](const Json&) { return "deleted service " + name + "\n"; });
        if (code == kExitNoDaemon) return code;
        if (code != kExitOk) exit_code = code;
    }
    return exit_code;
}

}  // namespace corral::supervisor::cli
