#include "supervisor/daemon/state_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace corral::supervisor {

std::optional<StateDir> StateDir::open(const std::filesystem::path& root, std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(root / "logs", ec);
    if (ec) {
        error = "cannot create the state directory " + (root / "logs").string() + ": " + ec.message();
        return std::nullopt;
    }
    const auto lock_path = root / "corral.lock";
    // O_CLOEXEC matters: a service that inherited the lock would keep it after the daemon died.
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock) {
        error = "cannot open " + lock_path.string() + ": " + std::strerror(errno);
        return std::nullopt;
    }
    if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            error = "cannot lock " + lock_path.string() + ": " + std::strerror(errno);
            return std::nullopt;
        }
        char owner[32] = {};
        const ssize_t n = pread(lock.get(), owner, sizeof owner - 1, 0);
        const std::string pid = n > 0 ? std::string(owner, static_cast<size_t>(n)) : std::string("?");
        error = "another corral daemon (pid " + pid.substr(0, pid.find('\n')) + ") is already running with state directory " +
                root.string() + "; stop it first, or use another state directory";
        return std::nullopt;
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(lock.get(), 0) != 0 || pwrite(lock.get(), pid.data(), pid.size(), 0) < 0) {
        error = "cannot write " + lock_path.string() + ": " + std::strerror(errno);
        return std::nullopt;
    }
    return StateDir(root, std::move(lock));
}

}  // namespace corral::supervisor
