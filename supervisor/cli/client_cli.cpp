#include "supervisor/cli/client_cli.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "supervisor/cli/every_daemon.hpp"
#include "supervisor/cli/adhoc_commands.hpp"
#include "supervisor/cli/postmortem_text.hpp"
#include "supervisor/cli/save_command.hpp"
#include "supervisor/cli/socket_path.hpp"

namespace corral::supervisor::cli {

namespace {

constexpr const char* kTargetHelp = "NAME, NAME#INDEX or all";

// --no-wait, and --timeout unless `bounded` is false (signal: nothing to wait for but its delivery).
void add_wait_options(CLI::App* command, WaitOptions& wait, bool bounded = true) {
    CLI::Option* no_wait =
        command->add_flag("--no-wait", wait.no_wait, "Return as soon as the daemon took the command, without waiting");
    if (!bounded) return;
    command->add_option("--timeout", wait.timeout, "Give up waiting after this long, such as 30s or 2m (exit 1)")
        ->excludes(no_wait);
}

}  // namespace

CLI::App* ClientCli::add(CLI::App& app, Common& common, const char* name, const char* description) {
    common.app = app.add_subcommand(name, description);
    common.app->add_flag("--json", common.json, "Print the daemon's JSON reply instead of text");
    CLI::Option* socket = common.app->add_option(
        "--socket", common.socket, "The daemon's control socket (default: $CORRAL_SOCKET, else the state directory's)");
    common.app
        ->add_option("-c,--config", common.config,
                     "Find the daemon by this service file's state directory (default ./corral.toml, else ./.corral)")
        ->excludes(socket);
    common.app->add_option("-C", common.dir, "Run as if corral was started in this directory");
    return common.app;
}

void ClientCli::add_all(Common& common) {
    common.app->add_flag("--all", common.all, "Run it against every running daemon of this user (see corral ls)")
        ->excludes("--socket")
        ->excludes("--config")
        ->excludes("-C");
}

void ClientCli::add_adhoc_commands(CLI::App& app) {
    CLI::App* remove = add(app, delete_, "delete",
                           "Stop a service added with corral run and forget it; wait until its processes are gone");
    remove->add_option("name", delete_names_, "One or more service names")->required();
    add_wait_options(remove, delete_wait_);
    CLI::App* save = add(app, save_, "save",
                         "Write the daemon's services, those added with corral run included, as a service file "
                         "(default: into its own file, else ./corral.toml)");
    save->add_option("file", save_file_, "The service file to write");
    save->add_flag("--force", save_force_, "Replace FILE even when it is not the daemon's service file");
}

int ClientCli::run_adhoc() const {
    if (delete_.app->parsed()) {
        return run(delete_, [&](const ClientOptions& o) { return delete_command(o, delete_names_, delete_wait_); });
    }
    SaveOptions save;
    if (save_.app->count("file") > 0) save.file = save_file_;
    save.force = save_force_;
    return run(save_, [&](const ClientOptions& o) { return save_command(o, save); });
}

// logs and flush.
void ClientCli::add_log_commands(CLI::App& app) {
    CLI::App* logs = add(app, logs_, "logs", "Print the last lines of output of a service or an instance, stdout and stderr merged by "
                          "time; -f to follow. Without a daemon, reads the files");
    logs->add_option("target", logs_options_.target, kTargetHelp)->capture_default_str();
    logs->add_option("-n,--lines", logs_options_.lines, "How many lines of each log to print first")
        ->check(CLI::Range(0, 10000))
        ->capture_default_str();
    CLI::Option* follow = logs->add_flag("-f,--follow", logs_options_.follow, "Keep printing new lines until Ctrl-C");
    add_all(logs_);
    logs->get_option("--all")->excludes(follow);
    CLI::Option* out = logs->add_flag("--out", logs_out_, "Only stdout");
    logs->add_flag("--err", logs_err_, "Only stderr")->excludes(out);
    logs->add_option("--since", logs_options_.since,
                     "Only lines that arrived since then: a duration back from now (10m, 2h) or a UTC time "
                     "(2026-12-07T10:00:00Z)");
    add(app, flush_, "flush", "Empty the logs of a service, an instance, or all (the default), rotated files too")
        ->add_option("target", flush_target_, kTargetHelp)
        ->capture_default_str();
}

ClientCli::ClientCli(CLI::App& app) {
    add(app, status_, "status", "Show every instance (or those of TARGET): state, pid, uptime, restarts, CPU, memory, last exit")
        ->add_option("target", status_target_, "NAME or NAME#INDEX: only that service or instance");
    add_all(status_);
    add(app, describe_, "describe", "Show everything known about one service or instance: spec, limits, routes, "
                                    "instances, last exits, post-mortems")
        ->add_option("target", describe_target_, "NAME or NAME#INDEX")
        ->required();
    CLI::App* start = add(app, start_, "start", "Start a service, an instance, or all, and wait until each is running");
    start->add_option("target", start_target_, kTargetHelp)->required();
    add_all(start_);
    add_wait_options(start, start_wait_);
    CLI::App* stop =
        add(app, stop_, "stop", "Stop a service, an instance, or all, and wait until their processes are gone");
    stop->add_option("target", stop_target_, kTargetHelp)->required();
    add_all(stop_);
    add_wait_options(stop, stop_wait_);
    CLI::App* restart = add(app, restart_, "restart",
                            "Restart a service, an instance, or all, and wait until each is running again");
    restart->add_option("target", restart_target_, kTargetHelp)->required();
    add_all(restart_);
    add_wait_options(restart, restart_wait_);
    CLI::App* signal = add(app, signal_, "signal",
                           "Send a signal to the processes of a service or an instance; each must be running");
    signal->add_option("target", signal_target_, kTargetHelp)->required();
    signal->add_option("signal", signal_name_, "SIGUSR2, USR2 or a number")->required();
    signal->add_flag("--no-wait", signal_no_wait_, "Signal whatever has a process, and skip the rest without a word");
    CLI::App* cool = add(app, cool_, "cool", "Pause an instance: no messages to it (held, not lost), frozen in freeze mode");
    cool->add_option("target", cool_target_, kTargetHelp)->required();
    cool->add_option("--for", cool_for_, "How long, such as 90s or 5m (default: until corral heat)");
    add(app, heat_, "heat", "End a cool period now: the instance works again and gets what waited for it")
        ->add_option("target", heat_target_, kTargetHelp)
        ->required();
    CLI::App* reload = add(app, reload_, "reload",
                           "Re-read the service file, apply the difference (a service whose command, env or sockets "
                           "changed rolls: its instances are replaced one by one, each once its replacement is "
                           "ready), and wait until it is done; with SERVICE, also roll that service when nothing "
                           "changed (`restart` stops all of its instances at once instead)");
    reload->add_option("service", reload_target_, "A service to roll");
    add_wait_options(reload, reload_wait_);

    add_log_commands(app);
    add(app, events_, "events", "Print every state change of every instance as it happens, until Ctrl-C");
    add(app, shutdown_, "shutdown", "Stop every service and the daemon, and wait until it is gone");
    add_all(shutdown_);
    add_adhoc_commands(app);
    add(app, metrics_, "metrics", "Print the daemon's metrics in Prometheus' text format (as GET /metrics serves them)");
}

bool ClientCli::parsed() const {
    for (const Common* common : {&status_, &start_, &stop_, &restart_, &signal_, &cool_, &heat_, &reload_, &logs_,
                                 &events_, &shutdown_, &flush_, &describe_, &delete_, &save_, &metrics_}) {
        if (common->app->parsed()) return true;
    }
    return false;
}

int ClientCli::run(const Common& common, const std::function<int(const ClientOptions&)>& command) const {
    const auto given = [&](const char* name, const std::string& value) {
        return common.app->count(name) > 0 ? std::optional<std::filesystem::path>(value) : std::nullopt;
    };
    if (common.app->count("-C") > 0 && ::chdir(common.dir.c_str()) != 0) {
        std::fprintf(stderr, "corral: -C %s: %s\n", common.dir.c_str(), std::strerror(errno));
        return kExitUsage;
    }
    ClientOptions options;
    options.json = common.json;
    options.color = color_wanted(STDOUT_FILENO);
    options.terminal = isatty(STDOUT_FILENO) == 1;
    if (common.all) return on_every_daemon(options, command);
    const Lookup socket = find_socket(given("--socket", common.socket), given("--config", common.config));
    if (!socket.ok()) {
        print_lookup_errors(socket, "give the socket with --socket instead");
        return kExitUsage;
    }
    options.socket = socket.path;
    return command(options);
}

int ClientCli::run() const {
    if (status_.app->parsed()) return run(status_, [&](const auto& o) { return status_command(o, status_target_); });
    if (describe_.app->parsed()) return run(describe_, [&](const auto& o) { return describe_command(o, describe_target_); });
    if (start_.app->parsed()) {
        return run(start_, [&](const auto& o) { return target_command<protocol::Start>(o, start_target_, start_wait_); });
    }
    if (stop_.app->parsed()) {
        return run(stop_, [&](const auto& o) { return target_command<protocol::Stop>(o, stop_target_, stop_wait_); });
    }
    if (restart_.app->parsed()) {
        return run(restart_,
                   [&](const auto& o) { return target_command<protocol::Restart>(o, restart_target_, restart_wait_); });
    }
    if (signal_.app->parsed()) {
        return run(signal_,
                   [&](const auto& o) { return signal_command(o, signal_target_, signal_name_, signal_no_wait_); });
    }
    if (cool_.app->parsed()) {
        return run(cool_, [&](const auto& o) { return cool_command(o, cool_target_, cool_for_); });
    }
    if (heat_.app->parsed()) return run(heat_, [&](const auto& o) { return heat_command(o, heat_target_); });
    if (reload_.app->parsed()) return run(reload_, [&](const auto& o) { return reload_command(o, reload_target_, reload_wait_); });
    if (logs_.app->parsed()) {
        LogsOptions logs = logs_options_;
        using protocol::LogStream;
        logs.stream = logs_out_ ? LogStream::out : logs_err_ ? LogStream::err : LogStream::both;
        return run(logs_, [&](const auto& o) { return logs_command(o, logs); });
    }
    if (events_.app->parsed()) return run(events_, events_command);
    if (flush_.app->parsed()) return run(flush_, [&](const auto& o) { return flush_command(o, flush_target_); });
    if (delete_.app->parsed() || save_.app->parsed()) return run_adhoc();
    if (metrics_.app->parsed()) return run(metrics_, metrics_command);
    return run(shutdown_, shutdown_command);
}

}  // namespace corral::supervisor::cli
