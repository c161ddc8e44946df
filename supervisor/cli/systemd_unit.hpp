#pragma once
// The systemd unit that `corral startup` writes for one service file: pure text from plain values.
//
//   Type=notify, NotifyAccess=main   the daemon says READY=1 once its first start settled (daemon/systemd_notifier.hpp)
//   ExecStart=CORRAL up FILE          in the foreground: the daemon is the unit's main process
//   ExecReload=CORRAL reload -c FILE  waits until the reload's changes are done; a bad file fails the reload
//   Delegate=yes                      the unit's cgroup subtree is corral's to divide among its instances
//   OOMPolicy=continue                one worker killed by the OOM killer is corral's to restart
//   KillMode=control-group            on stop, whatever corral did not stop is killed by systemd
//   TimeoutStopSec                    covers the drain, the longest stop.timeout and the final sweep
//   Restart=on-failure
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace corral::supervisor::cli {

struct UnitSettings {
    std::filesystem::path corral;    // absolute path of the corral binary
    std::filesystem::path file;      // absolute path of the service file
    std::string user;                // User= (and Group= when group is set); empty: none
    std::string group;
    std::string path_env;            // Environment=PATH=..., so that `node` is found as in the shell; empty: none
    std::chrono::seconds stop_timeout{90};
    bool user_unit = false;          // --user: WantedBy=default.target
};

std::string unit_text(const UnitSettings& settings);

// One argument of ExecStart= as systemd reads it: quoted when it holds blanks or quotes, with '%' and '$'
// doubled so that no specifier or variable is expanded.
std::string exec_argument(std::string_view argument);

// "corral-<name>.service" for a name, or the name as it is when it ends in ".service"; empty when the
// name has a character a unit name may not have (`why` then says which).
std::string unit_file_name(std::string_view name, std::string& why);

// The default name: the file's stem ("api" for api.toml), or its directory's name for corral.toml.
std::string default_unit_name(const std::filesystem::path& file);

}  // namespace corral::supervisor::cli
