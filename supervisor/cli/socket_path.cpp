#include "supervisor/cli/socket_path.hpp"

#include <cstdio>
#include <cstdlib>

#include "supervisor/config/state_dir_only.hpp"
#include "supervisor/registry/registry.hpp"
#include "supervisor/registry/runtime_dir.hpp"

namespace corral::supervisor::cli {
namespace fs = std::filesystem;

namespace {

fs::path absolute_path(const fs::path& path) {
    std::error_code ec;
    return fs::absolute(path, ec).lexically_normal();
}

}  // namespace

Lookup find_state_dir(const std::optional<fs::path>& config_file) {
    std::error_code ec;
    Lookup lookup;
    lookup.file = config_file;
    if (!lookup.file && fs::exists("corral.toml", ec)) lookup.file = "corral.toml";
    if (!lookup.file) {
        lookup.path = absolute_path(".corral");
        return lookup;
    }
    if (!fs::is_regular_file(*lookup.file, ec)) {
        const std::string why = fs::exists(*lookup.file, ec) ? "not a regular file" : "No such file or directory";
        lookup.errors.push_back(
            config::ConfigError{lookup.file->string(), 0, 0, "cannot read the service file: " + why});
        return lookup;
    }
    // The daemon that runs this file says where it is, whatever the file says now; then the file's own
    // state_dir, read alone, so that errors elsewhere in it do not hide the daemon.
    const fs::path canonical = fs::weakly_canonical(absolute_path(*lookup.file), ec);
    if (auto entry = registry::find_by_service_file(registry::runtime_dir_path(), canonical)) {
        lookup.path = entry->state_dir;
        return lookup;
    }
    const auto state_dir = config::read_state_dir_only(*lookup.file);
    lookup.path = state_dir ? *state_dir : absolute_path(lookup.file->parent_path() / ".corral");
    return lookup;
}

Lookup find_socket(const std::optional<fs::path>& socket_flag, const std::optional<fs::path>& config_file) {
    if (socket_flag) return Lookup{absolute_path(*socket_flag), std::nullopt, {}};
    // An explicit -c wins over the environment, like every flag.
    if (!config_file) {
        const char* env = std::getenv(kSocketEnv);
        if (env != nullptr && *env != '\0') return Lookup{absolute_path(env), std::nullopt, {}};
    }
    Lookup lookup = find_state_dir(config_file);
    if (lookup.ok()) lookup.path /= kSocketName;
    return lookup;
}

void print_lookup_errors(const Lookup& lookup, std::string_view instead) {
    for (const auto& error : lookup.errors) std::fprintf(stderr, "%s\n", error.to_string().c_str());
    std::fprintf(stderr, "corral: %zu error(s) in %s; %.*s\n", lookup.errors.size(),
                 lookup.file ? lookup.file->c_str() : "the service file", static_cast<int>(instead.size()),
                 instead.data());
}

std::string display_path(const fs::path& path) {
    std::error_code ec;
    const fs::path cwd = fs::current_path(ec);
    if (ec || !path.is_absolute()) return path.string();
    const fs::path relative = path.lexically_relative(cwd);
    if (relative.empty() || *relative.begin() == "..") return path.string();
    return (fs::path(".") / relative).string();
}

}  // namespace corral::supervisor::cli
