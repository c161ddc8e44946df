// corral's command line. `corral __exec` (the exec shim) is dispatched before anything else is set up:
// it runs before every start of every service. The client commands are ClientCli's; up, run and
// postmortem are added here.
#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/exit_codes.hpp"
#include "supervisor/cli/client_cli.hpp"
#include "supervisor/cli/import_command.hpp"
#include "supervisor/cli/ls_command.hpp"
#include "supervisor/cli/help_command.hpp"
#include "supervisor/cli/postmortem_command.hpp"
#include "supervisor/cli/startup_cli.hpp"
#include "supervisor/cli/up_command.hpp"
#include "supervisor/instance/exec_shim.hpp"

using namespace corral;
using namespace corral::supervisor;

namespace {

// --attach, for a container's entrypoint (also CORRAL_ATTACH=1).
void add_attach_flag(CLI::App& app, bool& attach) {
    app.add_flag("--attach", attach,
                 "For containers: stdout lines on stdout, stderr lines on stderr, as \"web#0 | line\" (or CORRAL_ATTACH=1)")
        ->excludes("--detach")
        ->excludes("--quiet");
}

// `corral up [FILE] [-d]`.
struct UpCli {
    CLI::App* app = nullptr;
    std::string file = "corral.toml";
    bool detach = false;
    bool quiet = false;
    bool attach = false;

    explicit UpCli(CLI::App& parent) {
        app = parent.add_subcommand("up", "Supervise every service of a service file (in the foreground; -d detaches)");
        app->add_option("file", file, "The service file")->capture_default_str();
        app->add_flag("-d,--detach", detach, "Run in the background; return once the daemon answers");
        app->add_flag("-q,--quiet", quiet, "In the foreground, do not print the programs' output (the logs get it)");
        add_attach_flag(*app, attach);
    }
};

// `corral run [options] -- CMD ARGS...`.
struct RunCli {
    CLI::App* app = nullptr;
    RunOptions options;
    std::string socket, config;

    explicit RunCli(CLI::App& parent) {
        app = parent.add_subcommand("run", "Supervise one command without a service file: corral run [options] -- CMD ARGS...");
        app->add_option("--name", options.name, "Service name (default: derived from the command)");
        app->add_option("--restart", options.restart, "always | on-failure | never")->capture_default_str();
        app->add_option("--instances", options.instances, "How many copies to run")
            ->check(CLI::Range(1, 1024))
            ->capture_default_str();
        app->add_option("--state-dir", options.state_dir, "Logs and state go here")->capture_default_str();
        app->add_flag("-d,--detach", options.detach, "Run in the background; return once the daemon answers");
        app->add_flag("-q,--quiet", options.quiet, "In the foreground, do not print the program's output (the logs get it)");
        add_attach_flag(*app, options.attach);
        // With a daemon running for the state directory (or one named by these), the command is added to it.
        CLI::Option* socket_option = app->add_option("--socket", socket, "Add the command to the daemon at this socket");
        app->add_option("-c,--config", config, "Add the command to this service file's daemon")->excludes(socket_option);
        app->add_flag("--json", options.json, "Print the daemon's JSON reply when adding to it");
        app->prefix_command();  // `corral run node app.js --port 3` works without "--" too
    }
};

// `corral postmortem [TARGET] [--show ID] [--json] [--state-dir DIR | -c FILE]`.
struct PostmortemCli {
    CLI::App* app = nullptr;
    cli::PostmortemOptions options;
    std::string target, show, state_dir, config, dir;

    explicit PostmortemCli(CLI::App& parent) {
        app = parent.add_subcommand(
            "postmortem", "Read what the daemon kept of dead instances: why they died, memory before death, last output");
        app->add_option("target", target, "NAME or NAME#INDEX: only that service or instance");
        app->add_option("--show", show, "Show one post-mortem: its ID, a unique prefix, or the part after the '/'");
        app->add_flag("--json", options.json, "Print JSON instead of text");
        CLI::Option* state_dir_option = app->add_option(
            "--state-dir", state_dir, "The state directory (default: the service file's, else ./.corral)");
        app->add_option("-c,--config", config,
                        "Read the state directory from this service file (default ./corral.toml)")
            ->excludes(state_dir_option);
        app->add_option("-C", dir, "Run as if corral was started in this directory");
    }

    // What was given of an option or argument: nullopt when it was not.
    std::optional<std::string> given(const char* name, const std::string& value) const {
        return app->count(name) > 0 ? std::optional<std::string>(value) : std::nullopt;
    }

    int run() {
        if (app->count("-C") > 0 && ::chdir(dir.c_str()) != 0) {
            std::fprintf(stderr, "corral: -C %s: %s\n", dir.c_str(), std::strerror(errno));
            return kExitUsage;
        }
        const auto state_dir_flag = given("--state-dir", state_dir);
        const auto config_file = given("--config", config);
        const auto resolved = cli::resolve_state_dir(
            state_dir_flag ? std::optional<std::filesystem::path>(*state_dir_flag) : std::nullopt,
            config_file ? std::optional<std::filesystem::path>(*config_file) : std::nullopt);
        if (!resolved) return kExitUsage;
        options.state_dir = *resolved;
        options.target = given("target", target);
        options.show = given("--show", show);
        options.color = cli::color_wanted(STDOUT_FILENO);
        return cli::postmortem_command(options);
    }
};

// Everything after "--" goes to `command` (the command of `corral run`, passed through untouched); returns
// how many arguments CLI11 parses.
int split_at_dashes(int argc, char** argv, std::vector<std::string>& command) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--") == 0) {
            command.assign(argv + i + 1, argv + argc);
            return i;
        }
    }
    return argc;
}

// Only `corral run` takes a command after "--"; false after saying so for `who` ("corral up").
bool nothing_after_dashes(const std::vector<std::string>& command, const char* who) {
    if (command.empty()) return true;
    std::fprintf(stderr, "%s: unexpected arguments after --\n", who);
    return false;
}

// PID 1 (a container's entrypoint) never gets a signal it has no handler for: a `docker stop` that came
// while the file is still being read would be lost. Blocked, the stop signals wait until the daemon watches
// them (run_daemon's SignalsHeld unblocks them); a client command run as PID 1 ignores them, as PID 1 would.
void hold_stop_signals_as_init() {
    if (getpid() != 1) return;
    sigset_t stop;
    sigemptyset(&stop);
    for (const int signum : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop, signum);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], kExecShimCommand) == 0) return exec_shim_main(argc, argv);
    hold_stop_signals_as_init();

    std::vector<std::string> command;
    const int cli_argc = split_at_dashes(argc, argv, command);

    CLI::App app{"corral: a supervising process manager for Node.js services", "corral"};
    app.set_version_flag("--version", std::string("corral ") + CORRAL_VERSION);
    app.require_subcommand(1);
    UpCli up(app);
    RunCli run(app);
    PostmortemCli postmortem(app);
    cli::ImportCli import_cli(app);
    cli::StartupCli startup(app);
    cli::ClientCli client(app);  // status, describe, start, stop, ... shutdown, flush, delete, save
    cli::LsCli ls(app);
    cli::HelpCli help(app);

    if (const auto unknown = cli::check_command_name(app, cli_argc, argv)) return *unknown;
    try {
        app.parse(cli_argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli::report_parse_error(app, e);
    }
    if (help.parsed()) return help.run();

    if (up.app->parsed()) {
        return nothing_after_dashes(command, "corral up") ? up_command(up.file, up.detach, up.quiet, up.attach) : kExitUsage;
    }
    if (postmortem.app->parsed()) {
        return nothing_after_dashes(command, "corral postmortem") ? postmortem.run() : kExitUsage;
    }
    if (import_cli.app->parsed()) return nothing_after_dashes(command, "corral import") ? import_cli.run() : kExitUsage;
    if (ls.parsed()) return nothing_after_dashes(command, "corral ls") ? ls.run() : kExitUsage;
    if (startup.parsed()) return nothing_after_dashes(command, "corral startup") ? startup.run() : kExitUsage;
    if (client.parsed()) return nothing_after_dashes(command, "corral") ? client.run() : kExitUsage;
    if (command.empty()) command = run.app->remaining();
    if (command.empty()) {
        std::fprintf(stderr, "corral run: no command given (usage: corral run [options] -- CMD ARGS...)\n");
        return kExitUsage;
    }
    run.options.command = std::move(command);
    if (run.app->count("--socket") > 0) run.options.socket = run.socket;
    if (run.app->count("--config") > 0) run.options.config_file = run.config;
    return run_command(run.options);
}
