#pragma once
// `corral startup [FILE] [--enable] [--user] [--print] [--force] [--name NAME]` on the command line
// (startup_command.hpp does the work).
#include <CLI/CLI.hpp>

#include <string>

#include "supervisor/cli/startup_command.hpp"

namespace corral::supervisor::cli {

struct StartupCli {
    CLI::App* app = nullptr;
    std::string file = "corral.toml";
    StartupOptions options;

    explicit StartupCli(CLI::App& parent) {
        app = parent.add_subcommand("startup", "Write a systemd unit that runs `corral up FILE` at boot (--enable: and start it)");
        app->add_option("file", file, "The service file")->capture_default_str();
        CLI::Option* print = app->add_flag("--print", options.print, "Print the unit instead of writing it");
        app->add_flag("--enable", options.enable, "Then systemctl daemon-reload and enable --now the unit")->excludes(print);
        app->add_flag("--user", options.user, "A unit of your user's systemd (~/.config/systemd/user), not a system one");
        app->add_flag("--force", options.force, "Replace an existing unit of the same name with other content");
        app->add_option("--name", options.name,
                        "The unit is corral-NAME.service (or NAME when it ends in .service); default: from the file");
    }

    bool parsed() const { return app->parsed(); }
    int run() {
        options.file = file;
        return startup_command(options);
    }
};

}  // namespace corral::supervisor::cli
