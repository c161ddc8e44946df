#include "supervisor/cli/adhoc_cli.hpp"

#include <unistd.h>

#include "supervisor/cli/adhoc_commands.hpp"
#include "supervisor/cli/postmortem_text.hpp"
#include "supervisor/cli/socket_path.hpp"

namespace corral::supervisor::cli {

CLI::App* AdhocCli::add(CLI::App& app, Common& common, const char* name, const char* description) {
    common.app = app.add_subcommand(name, description);
    common.app->add_flag("--json", common.json, "Print the daemon's JSON reply instead of text");
    CLI::Option* socket = common.app->add_option(
        "--socket", common.socket, "The daemon's control socket (default: $CORRAL_SOCKET, else the state directory's)");
    common.app
        ->add_option("-c,--config", common.config,
                     "Find the daemon by this service file's state directory (default ./corral.toml, else ./.corral)")
        ->excludes(socket);
    return common.app;
}

AdhocCli::AdhocCli(CLI::App& app) {
    CLI::App* remove = add(app, delete_, "delete",
                           "Stop a service added with corral run and forget it; wait until its processes are gone");
    remove->add_option("name", names_, "One or more service names")->required();
    CLI::Option* no_wait = remove->add_flag("--no-wait", delete_wait_.no_wait, "Return as soon as the daemon took it");
    remove->add_option("--timeout", delete_wait_.timeout, "Give up waiting after this long, such as 30s (exit 1)")
        ->excludes(no_wait);
    CLI::App* save = add(app, save_, "save",
                         "Write the daemon's services, those added with corral run included, as a service file "
                         "(default: into its own file, else ./corral.toml)");
    save->add_option("file", save_file_, "The service file to write");
    save->add_flag("--force", save_force_, "Replace FILE even when it is not the daemon's service file");
}

int AdhocCli::run(const Common& common, const std::function<int(const ClientOptions&)>& command) const {
    const auto given = [&](const char* name, const std::string& value) {
        return common.app->count(name) > 0 ? std::optional<std::filesystem::path>(value) : std::nullopt;
    };
    const Lookup socket = find_socket(given("--socket", common.socket), given("--config", common.config));
    if (!socket.ok()) {
        print_lookup_errors(socket, "give the socket with --socket instead");
        return kExitUsage;
    }
    ClientOptions options;
    options.socket = socket.path;
    options.json = common.json;
    options.color = color_wanted(STDOUT_FILENO);
    options.terminal = isatty(STDOUT_FILENO) == 1;
    return command(options);
}

int AdhocCli::run() const {
    if (delete_.app->parsed()) {
        return run(delete_, [&](const ClientOptions& o) { return delete_command(o, names_, delete_wait_); });
    }
    SaveOptions save;
    if (save_.app->count("file") > 0) save.file = save_file_;
    save.force = save_force_;
    return run(save_, [&](const ClientOptions& o) { return save_command(o, save); });
}

}  // namespace corral::supervisor::cli
