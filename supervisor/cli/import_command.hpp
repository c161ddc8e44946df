#pragma once
// `corral import FILE [-o OUT] [--force] [--env NAME]`: a pm2 ecosystem file -> a corral service file
// (supervisor/cli/pm2_import/). The file is written beside the ecosystem file as corral.toml unless -o says
// otherwise (-o - prints it), never over an existing file without --force, and is loaded with corral's own
// loader before the command says it is done. The report (stderr) lists every pm2 key that could not be
// mapped with what to do instead, and every approximation.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace corral::supervisor::cli {

struct ImportOptions {
    std::string file;
    std::string output;                 // "" = corral.toml beside `file`; "-" = stdout
    bool force = false;
    std::optional<std::string> env;     // merge env_NAME into env (pm2 start --env NAME)
};

int import_command(const ImportOptions& options);

struct ImportCli {
    CLI::App* app = nullptr;
    ImportOptions options;
    std::string env;

    explicit ImportCli(CLI::App& parent);
    int run();
};

}  // namespace corral::supervisor::cli
