#include "supervisor/up_command.hpp"

#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <array>
#include <climits>
#include <csignal>
#include <cstdio>

#include "supervisor/cgroup_setup.hpp"
#include "supervisor/config/load_config.hpp"
#include "supervisor/config/service_name.hpp"
#include "supervisor/daemon.hpp"
#include "supervisor/daemon_log.hpp"
#include "supervisor/state_dir.hpp"

namespace corral::supervisor {
namespace fs = std::filesystem;

int up_command(const fs::path& file) {
    config::LoadResult result = config::load_config_file(file);
    if (!result.config) {
        for (const auto& error : result.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
        std::fprintf(stderr, "corral: %zu error(s) in %s; nothing was started\n", result.errors.size(),
                     file.c_str());
        return kExitUsage;
    }
    return run_daemon(std::move(*result.config));
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
    config.services.push_back(std::move(spec));
    return run_daemon(std::move(config));
}

int run_daemon(config::Config config) {
    std::string error;
    std::optional<StateDir> state = StateDir::open(config.supervisor.state_dir, error);
    if (!state) {
        std::fprintf(stderr, "corral: %s\n", error.c_str());
        return kExitFailure;
    }
    if (!setup_daemon_log(state->daemon_log(), true, error)) {
        std::fprintf(stderr, "corral: warning: cannot write %s: %s\n", state->daemon_log().c_str(), error.c_str());
    }
    std::signal(SIGPIPE, SIG_IGN);

    char exe[PATH_MAX];
    size_t exe_size = sizeof exe;
    if (const int rc = uv_exepath(exe, &exe_size); rc < 0) {
        std::fprintf(stderr, "corral: cannot find its own executable: %s\n", uv_strerror(rc));
        return kExitFailure;
    }

    CgroupSetup cgroups = setup_cgroups(config);
    if (!cgroups.error.empty()) {
        spdlog::error("{}", cgroups.error);
        return kExitFailure;
    }
    const std::string why_no_cgroups = config.supervisor.cgroups == config::CgroupMode::off
                                           ? "cgroups = \"off\""
                                           : "cgroups are not available on this host";
    if (!accept_limits(config, cgroups.driver.get(), why_no_cgroups)) {
        spdlog::error("refusing to start: cgroups = \"required\" and the limits above cannot be applied");
        return kExitFailure;
    }

    uv_loop_t loop;
    if (const int rc = uv_loop_init(&loop); rc < 0) {
        std::fprintf(stderr, "corral: cannot create the event loop: %s\n", uv_strerror(rc));
        return kExitFailure;
    }
    int code;
    {
        Daemon daemon(&loop, std::move(config), std::string(exe, exe_size), std::move(cgroups.driver), why_no_cgroups);
        code = daemon.run();
    }
    uv_run(&loop, UV_RUN_DEFAULT);  // the close callbacks of the handles closed above
    if (uv_loop_close(&loop) != 0) spdlog::error("internal error: handles still open at exit");
    spdlog::shutdown();
    return code;
}

}  // namespace corral::supervisor
