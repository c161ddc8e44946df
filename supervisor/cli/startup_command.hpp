#pragma once
// `corral startup [FILE] [--user] [--print] [--enable] [--force] [--name NAME]`: a systemd unit that runs
// `corral up FILE` at boot (systemd_unit.hpp says what it sets and why).
//
// The unit goes to /etc/systemd/system (root) or ~/.config/systemd/user (--user); $CORRAL_UNIT_DIR, when
// set, replaces either (tests, packaging). An existing unit with other content is kept unless --force.
// Run as root for a file that another user owns, the unit runs corral as that user (User=, Group=): the
// services then run as whoever wrote them, and the state directory beside the file stays theirs.
// --enable then runs `systemctl [--user] daemon-reload` and `systemctl [--user] enable --now UNIT`; where
// systemd is not running (no /run/systemd/system), it says so and what to run later, and exits 1.
// Exit codes: 0; 1 when the unit cannot be written or enabled; 2 for usage errors and a bad service file.
#include <filesystem>
#include <string>

namespace corral::supervisor::cli {

struct StartupOptions {
    std::filesystem::path file = "corral.toml";
    std::string name;  // empty: from the file (default_unit_name)
    bool user = false;
    bool print = false;
    bool enable = false;
    bool force = false;
};

int startup_command(const StartupOptions& options);

}  // namespace corral::supervisor::cli
