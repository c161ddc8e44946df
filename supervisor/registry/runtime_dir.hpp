#pragma once
// The per-user directory where every running daemon registers itself (registry.hpp): one place that
// `corral ls` and the client commands' --all read, whatever the working directory.
//
//   $CORRAL_RUNTIME_DIR when set and not empty (tests point it at a temporary directory),
//   else $XDG_RUNTIME_DIR/corral when XDG_RUNTIME_DIR is set and not empty,
//   else /run/corral for root,
//   else /tmp/corral-<uid>.
// The directory is created with mode 0700; one that belongs to another user (or is not a directory, e.g.
// a symlink planted in /tmp) is refused: its entries could point the CLI at anyone's socket.
#include <sys/types.h>

#include <filesystem>

#include "base/sys_result.hpp"

namespace corral::registry {

inline constexpr const char* kRuntimeDirEnv = "CORRAL_RUNTIME_DIR";

// The rule above on plain values: `override_dir` is $CORRAL_RUNTIME_DIR, `xdg` $XDG_RUNTIME_DIR (either may
// be null).
std::filesystem::path choose_runtime_dir(const char* override_dir, const char* xdg, uid_t uid);

// The rule above for this process (its environment and effective uid).
std::filesystem::path runtime_dir_path();

// `dir` created when missing (mode 0700, its parent too), checked to be a directory that belongs to this
// process's effective user. The error says what is wrong and where.
Result<std::filesystem::path> open_runtime_dir(const std::filesystem::path& dir);

}  // namespace corral::registry
