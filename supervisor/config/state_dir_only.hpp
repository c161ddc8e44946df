#pragma once
// The state directory of a service file without the rest of it: the client commands find their daemon
// through it, also while the file has errors that `corral up` would refuse (a half-edited file must not
// lock the user out of the daemon that runs its previous version).
#include <filesystem>
#include <optional>

namespace corral::config {

// `file`'s [supervisor] state_dir, resolved against the file's directory as load_config_file() does;
// .corral beside the file when it gives none (or not as a string). nullopt when the file cannot be read
// or is not TOML at all. Nothing else in the file is looked at.
std::optional<std::filesystem::path> read_state_dir_only(const std::filesystem::path& file);

}  // namespace corral::config
