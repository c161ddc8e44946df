// corral's command line. `corral __exec` (the exec shim) is dispatched before anything else is set up:
// it runs before every start of every service.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/exit_codes.hpp"
#include "supervisor/cli/client_cli.hpp"
#include "supervisor/cli/postmortem_command.hpp"
#include "supervisor/cli/up_command.hpp"
#include "supervisor/instance/exec_shim.hpp"

using namespace corral;
using namespace corral::supervisor;

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], kExecShimCommand) == 0) return exec_shim_main(argc, argv);

    // Everything after "--" is the command of `corral run`, passed through untouched.
    std::vector<std::string> command;
    int cli_argc = argc;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--") == 0) {
            command.assign(argv + i + 1, argv + argc);
            cli_argc = i;
            break;
        }
    }

    CLI::App app{"corral: a supervising process manager for Node.js services"};
    app.set_version_flag("--version", std::string("corral ") + CORRAL_VERSION);
    app.require_subcommand(1);

    std::string file = "corral.toml";
    bool detach = false;
    CLI::App* up = app.add_subcommand("up", "Supervise every service of a service file (in the foreground; -d detaches)");
    up->add_option("file", file, "The service file")->capture_default_str();
    up->add_flag("-d,--detach", detach, "Run in the background; return once the daemon answers");

    RunOptions run_options;
    CLI::App* run = app.add_subcommand("run", "Supervise one command without a service file: corral run [options] -- CMD ARGS...");
    run->add_option("--name", run_options.name, "Service name (default: derived from the command)");
    run->add_option("--restart", run_options.restart, "always | on-failure | never")->capture_default_str();
    run->add_option("--instances", run_options.instances, "How many copies to run")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    run->add_option("--state-dir", run_options.state_dir, "Logs and state go here")->capture_default_str();
    run->add_flag("-d,--detach", run_options.detach, "Run in the background; return once the daemon answers");
    run->prefix_command();  // `corral run node app.js --port 3` works without "--" too

    cli::PostmortemOptions pm_options;
    std::string pm_target, pm_show, pm_state_dir, pm_config;
    CLI::App* pm = app.add_subcommand(
        "postmortem", "Read what the daemon kept of dead instances: why they died, memory before death, last output");
    pm->add_option("target", pm_target, "NAME or NAME#INDEX: only that service or instance");
    pm->add_option("--show", pm_show, "Show one post-mortem: its ID, a unique prefix, or the part after the '/'");
    pm->add_flag("--json", pm_options.json, "Print JSON instead of text");
    CLI::Option* pm_state_dir_option =
        pm->add_option("--state-dir", pm_state_dir, "The state directory (default: the service file's, else ./.corral)");
    pm->add_option("-c,--config", pm_config, "Read the state directory from this service file (default ./corral.toml)")
        ->excludes(pm_state_dir_option);

    cli::ClientCli client(app);  // status, start, stop, restart, signal, reload, logs, events, shutdown

    try {
        app.parse(cli_argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }

    if (up->parsed()) {
        if (!command.empty()) {
            std::fprintf(stderr, "corral up: unexpected arguments after --\n");
            return kExitUsage;
        }
        return up_command(file, detach);
    }
    if (pm->parsed()) {
        if (!command.empty()) {
            std::fprintf(stderr, "corral postmortem: unexpected arguments after --\n");
            return kExitUsage;
        }
        const auto given = [](const CLI::App* sub, const char* name, const std::string& value) {
            return sub->count(name) > 0 ? std::optional<std::string>(value) : std::nullopt;
        };
        const auto state_dir_flag = given(pm, "--state-dir", pm_state_dir);
        const auto config_file = given(pm, "--config", pm_config);
        const auto state_dir = cli::resolve_state_dir(
            state_dir_flag ? std::optional<std::filesystem::path>(*state_dir_flag) : std::nullopt,
            config_file ? std::optional<std::filesystem::path>(*config_file) : std::nullopt);
        if (!state_dir) return kExitUsage;
        pm_options.state_dir = *state_dir;
        pm_options.target = given(pm, "target", pm_target);
        pm_options.show = given(pm, "--show", pm_show);
        pm_options.color = cli::color_wanted(STDOUT_FILENO);
        return cli::postmortem_command(pm_options);
    }
    if (client.parsed()) {
        if (!command.empty()) {
            std::fprintf(stderr, "corral: unexpected arguments after --\n");
            return kExitUsage;
        }
        return client.run();
    }
    if (command.empty()) command = run->remaining();
    if (command.empty()) {
        std::fprintf(stderr, "corral run: no command given (usage: corral run [options] -- CMD ARGS...)\n");
        return kExitUsage;
    }
    run_options.command = std::move(command);
    return run_command(run_options);
}
