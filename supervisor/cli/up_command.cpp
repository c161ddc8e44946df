#include "supervisor/cli/up_command.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <array>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "supervisor/cli/postmortem_text.hpp"
#include "supervisor/cli/adhoc_commands.hpp"
#include "supervisor/config/load_config.hpp"
#include "supervisor/config/service_name.hpp"
#include "supervisor/daemon/daemon_start.hpp"

namespace corral::supervisor {
namespace fs = std::filesystem;

namespace {

// CORRAL_ATTACH=1 (or true, yes, on): --attach for an image whose command line cannot be changed.
bool attach_from_environment() {
    const char* value = std::getenv("CORRAL_ATTACH");
    if (value == nullptr) return false;
    const std::string_view text(value);
    return text == "1" || text == "true" || text == "yes" || text == "on";
}

ForegroundOptions foreground(bool quiet, bool attach, bool exit_when_done) {
    attach = attach || attach_from_environment();
    return {.print_output = !quiet,
            .color = !attach && cli::color_wanted(STDOUT_FILENO),
            .exit_when_done = exit_when_done,
            .attach = attach};
}

}  // namespace

int up_command(const fs::path& file, bool detach, bool quiet, bool attach) {
    config::LoadResult result = config::load_config_file(file);
    if (!result.config) {
        for (const auto& error : result.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
        std::fprintf(stderr, "corral: %zu error(s) in %s; nothing was started\n", result.errors.size(),
                     file.c_str());
        return kExitUsage;
    }
    return detach ? run_detached(std::move(*result.config))
                  : run_in_foreground(std::move(*result.config), foreground(quiet, attach, false));
}

std::string name_from_command(const std::vector<std::string>& command) {
    // Launchers say little about what they launch; the first argument after them says more.
    static constexpr std::array<std::string_view, 12> kLaunchers = {
        "npx", "node", "nodejs", "npm", "pnpm", "yarn", "bun", "deno", "env", "sh", "bash", "exec"};
    std::string chosen;
    for (const auto& arg : command) {
        if (arg.empty() || arg.front() == '-') continue;
        const std::string base = fs::path(arg).filename().string();
        chosen = base;
        if (std::find(kLaunchers.begin(), kLaunchers.end(), base) == kLaunchers.end()) break;
    }
    for (const std::string_view ext : {".js", ".mjs", ".cjs", ".ts"}) {
        if (chosen.size() > ext.size() && chosen.ends_with(ext)) chosen.resize(chosen.size() - ext.size());
    }
    std::string name;
    for (const char c : chosen) {
        if (name.size() < config::kMaxServiceNameLength) name.push_back(config::is_service_name_char(c) ? c : '-');
    }
    while (!name.empty() && name.front() == '.') name.erase(name.begin());
    return name.empty() ? "app" : name;
}

int run_command(const RunOptions& options) {
    config::Config config;
    std::error_code ec;
    const fs::path cwd = fs::current_path(ec);
    config.supervisor.state_dir = fs::absolute(options.state_dir, ec).lexically_normal();

    const auto restart = policies::restart_mode_from(options.restart);
    if (!restart) {
        std::fprintf(stderr, "corral run: --restart must be always, on-failure or never (got \"%s\")\n",
                     options.restart.c_str());
        return kExitUsage;
    }
    config::ServiceSpec spec;
    spec.name = options.name.empty() ? name_from_command(options.command) : options.name;
    if (const auto problem = config::service_name_problem(spec.name)) {
        std::fprintf(stderr, "corral run: invalid --name \"%s\" %s\n", spec.name.c_str(), problem->c_str());
        return kExitUsage;
    }
    spec.command = options.command;
    spec.cwd = cwd;
    spec.instances = options.instances;
    spec.restart = *restart;
    if (const auto added = cli::add_to_running_daemon(options, spec, config.supervisor.state_dir)) return *added;
    config.services.push_back(std::move(spec));
    return options.detach ? run_detached(std::move(config))
                          : run_in_foreground(std::move(config), foreground(options.quiet, options.attach, true));
}

}  // namespace corral::supervisor
