#pragma once
// `corral save [FILE] [--force]`: the daemon's services, ad-hoc ones included, as a service file that
// `corral up FILE` brings back (save_text.hpp says what is written).
//   FILE is the daemon's own service file (the default when it has one): the ad-hoc services are appended,
//     the rest of the file is kept as it is; the result must load (load_config) before it replaces the
//     file (atomically); when it does not, it is written beside it, FILE.saved, with the errors (exit 1).
//   Otherwise (default ./corral.toml): a whole file, refused over an existing file without --force.
#include <filesystem>
#include <optional>

#include "supervisor/cli/client_commands.hpp"

namespace corral::supervisor::cli {

struct SaveOptions {
    std::optional<std::filesystem::path> file;
    bool force = false;
};

int save_command(const ClientOptions& options, const SaveOptions& save);

}  // namespace corral::supervisor::cli
