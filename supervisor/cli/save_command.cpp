#include "supervisor/cli/save_command.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/file_text.hpp"
#include "supervisor/cli/client_session.hpp"
#include "supervisor/cli/save_text.hpp"
#include "supervisor/cli/socket_path.hpp"
#include "supervisor/config/load_config.hpp"

namespace corral::supervisor::cli {

namespace {

namespace fs = std::filesystem;

struct Saved {
    fs::path file;
    std::vector<std::string> names;
    bool merged = false;
};

void say_error(const std::string& text) { std::fprintf(stderr, "corral save: %s\n", text.c_str()); }

std::optional<std::string> read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code error;
    if (fs::equivalent(a, b, error)) return true;
    return a.lexically_normal() == b.lexically_normal();
}

// Checks that `text` loads as `target` and writes it there; else the errors and false.
bool write_checked(const fs::path& target, const std::string& text, const fs::path& written) {
    const config::LoadResult loaded = config::load_config_text(text, target);
    if (!loaded.config) {
        for (const auto& error : loaded.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
        return false;
    }
    if (Status status = write_file_atomically(written, text); !status) {
        say_error("cannot write " + written.string() + ": " + status.error().message());
        return false;
    }
    return true;
}

void report(const ClientOptions& options, const Saved& saved) {
    if (options.json) {
        print_json(Json{{"file", saved.file.string()}, {"services", saved.names}, {"merged", saved.merged}});
        return;
    }
    std::string names;
    for (const auto& name : saved.names) names += (names.empty() ? "" : ", ") + name;
    const std::string count = std::to_string(saved.names.size()) + " service" + (saved.names.size() == 1 ? "" : "s");
    print(saved.merged ? "saved " + count + " (" + names + ") into " + display_path(saved.file) +
                             "; corral up " + display_path(saved.file) + " brings every service back\n"
                       : "saved " + count + " (" + names + ") to " + display_path(saved.file) + "; corral up " +
                             display_path(saved.file) + " brings them back\n");
}

// Into the daemon's own file: the ad-hoc services appended.
int merge_into_own(const ClientOptions& options, const DaemonServices& daemon) {
    const auto added = daemon.adhoc_services();
    if (added.empty()) {
        print("nothing to save: every service of the daemon is in " + display_path(daemon.file) + "\n");
        return kExitOk;
    }
    const auto existing = read_text(daemon.file);
    if (!existing) {
        say_error("cannot read " + daemon.file.string());
        return kExitFailed;
    }
    const std::string text = merged_text(*existing, added);
    Saved saved{daemon.file, {}, true};
    for (const auto& spec : added) saved.names.push_back(spec.name);
    if (write_checked(daemon.file, text, daemon.file)) {
        report(options, saved);
        return kExitOk;
    }
    const fs::path beside = daemon.file.string() + ".saved";
    if (Status status = write_file_atomically(beside, text); !status) {
        say_error("cannot write " + beside.string() + ": " + status.error().message());
        return kExitFailed;
    }
    say_error(display_path(daemon.file) + " would not load with the ad-hoc services added (errors above); it is "
              "unchanged, and the result is in " + display_path(beside));
    return kExitFailed;
}

int write_whole(const ClientOptions& options, const DaemonServices& daemon, const fs::path& target, bool force) {
    std::error_code error;
    if (fs::exists(target, error) && !force) {
        say_error(display_path(target) + " exists and is not the daemon's service file; give --force to replace "
                  "it, or another FILE");
        return kExitFailed;
    }
    std::optional<std::string> source;
    if (!daemon.file.empty()) {
        source = read_text(daemon.file);
        if (!source) {
            say_error("cannot read " + daemon.file.string());
            return kExitFailed;
        }
    }
    Saved saved{target, {}, false};
    for (const auto& spec : daemon.services) saved.names.push_back(spec.name);
    if (!write_checked(target, whole_text(daemon, source, target), target)) {
        say_error("nothing was written to " + display_path(target));
        return kExitFailed;
    }
    report(options, saved);
    return kExitOk;
}

}  // namespace

int save_command(const ClientOptions& options, const SaveOptions& save) {
    Session session(options, "save");
    if (!session.connect()) return session.exit_code();
    const auto result = session.call(protocol::Services{});
    if (!result) return session.exit_code();
    std::string problem;
    const auto daemon = read_services(*result, problem);
    if (!daemon) {
        say_error(problem);
        return kExitFailed;
    }
    std::error_code error;
    const fs::path cwd = fs::current_path(error);
    const fs::path target = save.file ? fs::absolute(*save.file, error).lexically_normal()
                                      : !daemon->file.empty() ? daemon->file : cwd / "corral.toml";
    if (!daemon->file.empty() && same_file(target, daemon->file)) return merge_into_own(options, *daemon);
    return write_whole(options, *daemon, target, save.force);
}

}  // namespace corral::supervisor::cli
