#include "supervisor/registry/runtime_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace corral::registry {
namespace fs = std::filesystem;

namespace {

bool given(const char* value) { return value != nullptr && *value != '\0'; }

}  // namespace

fs::path choose_runtime_dir(const char* override_dir, const char* xdg, uid_t uid) {
    if (given(override_dir)) return fs::path(override_dir);
    if (given(xdg)) return fs::path(xdg) / "corral";
    if (uid == 0) return "/run/corral";
    return "/tmp/corral-" + std::to_string(uid);
}

fs::path runtime_dir_path() {
    return choose_runtime_dir(std::getenv(kRuntimeDirEnv), std::getenv("XDG_RUNTIME_DIR"), ::geteuid());
}

Result<fs::path> open_runtime_dir(const fs::path& dir) {
    std::error_code ec;
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);  // the parent keeps its own mode
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("create", dir.string());
    struct stat info {};
    if (::lstat(dir.c_str(), &info) != 0) return sys_error("read", dir.string());
    if (!S_ISDIR(info.st_mode)) {
        return SysError{ENOTDIR, "use the runtime directory", dir.string(),
                        "it is not a directory; remove it or set " + std::string(kRuntimeDirEnv)};
    }
    if (info.st_uid != ::geteuid()) {
        SysError error{EPERM, "use the runtime directory", dir.string(),
                       "set " + std::string(kRuntimeDirEnv) + " to a directory of your own"};
        error.detail = "it belongs to uid " + std::to_string(info.st_uid) + ", not to uid " +
                       std::to_string(::geteuid());
        return error;
    }
    if ((info.st_mode & 0077) != 0 && ::chmod(dir.c_str(), 0700) != 0) return sys_error("chmod", dir.string());
    return dir;
}

}  // namespace corral::registry
