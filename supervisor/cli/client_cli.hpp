#pragma once
// The client commands' part of the command line (client_commands.hpp): adds the subcommands to the app,
// and after parsing runs the one that was given.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "supervisor/cli/client_commands.hpp"

namespace corral::supervisor::cli {

class ClientCli {
public:
    explicit ClientCli(CLI::App& app);
    ClientCli(const ClientCli&) = delete;
    ClientCli& operator=(const ClientCli&) = delete;

    // Whether one of the client commands was given (after app.parse()).
    bool parsed() const;
    // Runs it; the exit code.
    int run() const;

private:
    // --json, --socket, -c, -C (and --all where it is added) of one subcommand.
    struct Common {
        CLI::App* app = nullptr;
        bool json = false;
        std::string socket;
        std::string config;
        std::string dir;   // -C: run as if started there
        bool all = false;  // --all: against every registered daemon (every_daemon.hpp)
    };
    CLI::App* add(CLI::App& app, Common& common, const char* name, const char* description);
    // Adds --all, which excludes the options that choose one daemon.
    static void add_all(Common& common);
    void add_log_commands(CLI::App& app);
    void add_adhoc_commands(CLI::App& app);  // delete, save
    int run_adhoc() const;
    int run(const Common& common, const std::function<int(const ClientOptions&)>& command) const;

    Common status_, start_, stop_, restart_, signal_, reload_, logs_, events_, shutdown_;
    std::string start_target_, stop_target_, restart_target_, signal_target_, signal_name_, reload_target_;
    WaitOptions start_wait_, stop_wait_, restart_wait_, reload_wait_;
    bool signal_no_wait_ = false;
    Common cool_, heat_, describe_;
    std::string status_target_, describe_target_;
    std::string cool_target_, cool_for_, heat_target_;
    LogsOptions logs_options_;
    bool logs_out_ = false;
    bool logs_err_ = false;
    Common flush_;
    std::string flush_target_ = "all";
    Common delete_, save_;
    Common metrics_;
    std::vector<std::string> delete_names_;
    WaitOptions delete_wait_;
    std::string save_file_;
    bool save_force_ = false;
};

}  // namespace corral::supervisor::cli
