// corral's command line. `corral __exec` (the exec shim) is dispatched before anything else is set up:
// it runs before every start of every service.
#include <CLI/CLI.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "supervisor/exec_shim.hpp"
#include "supervisor/up_command.hpp"

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
    CLI::App* up = app.add_subcommand("up", "Supervise every service of a service file, in the foreground");
    up->add_option("file", file, "The service file")->capture_default_str();

    RunOptions run_options;
    CLI::App* run = app.add_subcommand("run", "Supervise one command without a service file: corral run [options] -- CMD ARGS...");
    run->add_option("--name", run_options.name, "Service name (default: derived from the command)");
    run->add_option("--restart", run_options.restart, "always | on-failure | never")->capture_default_str();
    run->add_option("--instances", run_options.instances, "How many copies to run")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    run->add_option("--state-dir", run_options.state_dir, "Logs and state go here")->capture_default_str();
    run->prefix_command();  // `corral run node app.js --port 3` works without "--" too

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
        return up_command(file);
    }
    if (command.empty()) command = run->remaining();
    if (command.empty()) {
        std::fprintf(stderr, "corral run: no command given (usage: corral run [options] -- CMD ARGS...)\n");
        return kExitUsage;
    }
    run_options.command = std::move(command);
    return run_command(run_options);
}
