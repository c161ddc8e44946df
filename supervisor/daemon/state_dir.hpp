#pragma once
// The daemon's state directory: logs/, corral.log, and corral.lock, which one daemon holds (flock) for as
// long as it runs, so that two daemons never share logs and children. The lock file holds the owner's pid
// for the error message of the second one.
#include <filesystem>
#include <optional>
#include <string>

#include "base/unique_fd.hpp"

namespace corral::supervisor {

class StateDir {
public:
    // Creates the directories and takes the lock; on failure returns nullopt and sets `error`.
    static std::optional<StateDir> open(const std::filesystem::path& root, std::string& error);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path log_dir() const { return root_ / "logs"; }
    std::filesystem::path daemon_log() const { return root_ / "corral.log"; }

private:
    StateDir(std::filesystem::path root, UniqueFd lock) : root_(std::move(root)), lock_(std::move(lock)) {}

    std::filesystem::path root_;
    UniqueFd lock_;
};

}  // namespace corral::supervisor
