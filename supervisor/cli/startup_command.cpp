#include "supervisor/cli/startup_command.hpp"

#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "base/exit_codes.hpp"
#include "supervisor/cli/systemd_unit.hpp"
#include "supervisor/config/load_config.hpp"

extern char** environ;

namespace corral::supervisor::cli {
namespace fs = std::filesystem;

namespace {

// Besides the drain and the longest stop.timeout: the SIGKILL after it, the sweep, the pipes' grace.
constexpr std::chrono::seconds kStopMargin{15};
constexpr std::chrono::seconds kMinStopTimeout{30};

int fail(const std::string& message, int code = kExitFailed) {
    std::fprintf(stderr, "corral startup: %s\n", message.c_str());
    return code;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

std::chrono::seconds stop_timeout(const config::Config& config) {
    config::Duration longest{0};
    for (const auto& service : config.services) longest = std::max(longest, service.stop.timeout);
    const auto needed = std::chrono::ceil<std::chrono::seconds>(config.supervisor.drain_timeout + longest) + kStopMargin;
    return std::max(needed, kMinStopTimeout);
}

// Root writing a unit for someone else's file: the unit runs corral as the file's owner.
void owner_of(const fs::path& file, UnitSettings& settings) {
    struct stat st {};
    if (::geteuid() != 0 || ::stat(file.c_str(), &st) != 0 || st.st_uid == 0) return;
    if (const passwd* pw = ::getpwuid(st.st_uid)) {
        settings.user = pw->pw_name;
        if (const group* gr = ::getgrgid(pw->pw_gid)) settings.group = gr->gr_name;
    } else {
        settings.user = std::to_string(st.st_uid);
    }
}

std::optional<fs::path> unit_dir(const StartupOptions& options, std::string& why) {
    if (const char* dir = std::getenv("CORRAL_UNIT_DIR"); dir != nullptr && *dir != '\0') return fs::path(dir);
    if (options.user) {
        const std::string config_home = env_or("XDG_CONFIG_HOME", env_or("HOME", "") + "/.config");
        if (config_home == "/.config") {
            why = "neither XDG_CONFIG_HOME nor HOME is set: no place for a user unit";
            return std::nullopt;
        }
        return fs::path(config_home) / "systemd" / "user";
    }
    if (::geteuid() != 0) {
        why = "a system unit is written by root: run it with sudo, or add --user for a unit of your own user's "
              "systemd (--print shows the unit without writing it)";
        return std::nullopt;
    }
    return fs::path("/etc/systemd/system");
}

std::optional<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Next to it, then renamed: a reader (systemd) never sees half a unit.
bool write_unit(const fs::path& path, const std::string& text, std::string& why) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
        why = "cannot create " + path.parent_path().string() + ": " + ec.message();
        return false;
    }
    const fs::path temp = path.string() + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) {
            why = "cannot write " + temp.string() + ": " + std::strerror(errno);
            return false;
        }
    }
    fs::permissions(temp, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read,
                    ec);
    fs::rename(temp, path, ec);
    if (ec) {
        why = "cannot write " + path.string() + ": " + ec.message();
        fs::remove(temp, ec);
        return false;
    }
    return true;
}

// Runs `systemctl ARGS...` with this terminal; its exit code, or -1 when it could not run.
int systemctl(bool user, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"systemctl"};
    if (user) argv.emplace_back("--user");
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    std::fflush(nullptr);
    pid_t pid = 0;
    if (::posix_spawnp(&pid, "systemctl", nullptr, nullptr, raw.data(), environ) != 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string systemctl_text(bool user) { return user ? "systemctl --user" : "systemctl"; }

void print_how_to_watch(const std::string& unit, bool user) {
    std::printf("  %s status %s\n  journalctl%s -u %s -f\n", systemctl_text(user).c_str(), unit.c_str(),
                user ? " --user" : "", unit.c_str());
    if (user) {
        std::printf("A user unit starts at boot only with lingering on: loginctl enable-linger %s\n",
                    env_or("USER", "$USER").c_str());
    }
}

int enable(const std::string& unit, bool user) {
    const std::string runtime = env_or("CORRAL_SYSTEMD_RUNTIME", "/run/systemd/system");
    const std::string later = "  " + systemctl_text(user) + " daemon-reload\n  " + systemctl_text(user) +
                              " enable --now " + unit;
    if (!fs::is_directory(runtime)) {
        return fail("systemd is not running here (" + runtime + " does not exist: PID 1 is not systemd), so " + unit +
                    " was written but not enabled. On a host booted with systemd, run:\n" + later);
    }
    for (const std::vector<std::string>& args : {std::vector<std::string>{"daemon-reload"},
                                                 std::vector<std::string>{"enable", "--now", unit}}) {
        std::string command = systemctl_text(user);
        for (const auto& arg : args) command += " " + arg;
        std::printf("%s\n", command.c_str());
        if (const int rc = systemctl(user, args); rc != 0) {
            return fail("`" + command + "` failed" + (rc < 0 ? " (systemctl cannot run)" : " (exit " + std::to_string(rc) + ")") +
                        "; once that is fixed, run:\n" + later);
        }
    }
    std::printf("%s is enabled and started: it starts at every boot. To see it:\n", unit.c_str());
    print_how_to_watch(unit, user);
    return kExitOk;
}

}  // namespace

int startup_command(const StartupOptions& options) {
    std::error_code ec;
    const fs::path file = fs::absolute(options.file, ec).lexically_normal();
    if (!fs::is_regular_file(file, ec)) return fail(options.file.string() + ": no such service file", kExitUsage);
    config::LoadResult loaded = config::load_config_file(file);
    if (!loaded.config) {
        for (const auto& error : loaded.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
        return fail(std::to_string(loaded.errors.size()) + " error(s) in " + file.string() + "; no unit was written",
                    kExitUsage);
    }
    std::string why;
    const std::string unit = unit_file_name(options.name.empty() ? default_unit_name(file) : options.name, why);
    if (unit.empty()) return fail("--name: " + why, kExitUsage);

    UnitSettings settings;
    settings.corral = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return fail("cannot find its own executable (/proc/self/exe): " + ec.message());
    settings.file = file;
    settings.user_unit = options.user;
    settings.stop_timeout = stop_timeout(*loaded.config);
    settings.path_env = env_or("PATH", "");
    if (!options.user) owner_of(file, settings);
    const std::string text = unit_text(settings);
    if (options.print) {
        std::fputs(text.c_str(), stdout);
        return kExitOk;
    }

    const std::optional<fs::path> dir = unit_dir(options, why);
    if (!dir) return fail(why);
    const fs::path path = *dir / unit;
    const std::optional<std::string> existing = read_text(path);
    if (existing && *existing != text && !options.force) {
        return fail(path.string() + " exists with other content: it is kept (--force replaces it, --print shows the "
                    "new unit)");
    }
    if (existing && *existing == text) {
        std::printf("%s is up to date\n", path.c_str());
    } else if (!write_unit(path, text, why)) {
        return fail(why);
    } else {
        std::printf("wrote %s%s\n", path.c_str(), settings.user.empty() ? "" : (" (runs as " + settings.user + ")").c_str());
    }
    if (options.enable) return enable(unit, options.user);
    const std::string ctl = systemctl_text(options.user);
    std::printf("To start it now and at every boot (or add --enable):\n  %s daemon-reload\n  %s enable --now %s\nThen:\n",
                ctl.c_str(), ctl.c_str(), unit.c_str());
    print_how_to_watch(unit, options.user);
    return kExitOk;
}

}  // namespace corral::supervisor::cli
