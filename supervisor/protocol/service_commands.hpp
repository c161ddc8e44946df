#pragma once
// The commands that change which services the daemon runs, and the one that lists what they are:
//   add       a service that is in no file (an ad-hoc app, what `corral run` gives): started at once
//   delete    an ad-hoc service: its instances stop, then it is gone (a service of the file stays the file's)
//   services  every service's name, command, cwd, env, instances and restart, and whether it is ad-hoc
// `add` holds exactly what `corral run` takes. Its values are checked here as the service file's loader
// checks them (a service name, a non-empty argv of non-empty strings, an absolute cwd, environment names,
// 1 to 1024 instances, a restart mode); whether the cwd exists and the name is free, the daemon says.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policies/restart_mode.hpp"
#include "supervisor/protocol/wait_args.hpp"

namespace corral::protocol {

inline constexpr unsigned kMostInstances = 1024;

struct Add {
    static constexpr std::string_view name = "add";
    std::string service;                // "name"
    std::vector<std::string> command;   // argv
    std::string cwd;                    // absolute
    std::optional<std::map<std::string, std::string>> env = std::nullopt;
    std::optional<unsigned> instances = std::nullopt;  // default 1
    std::optional<policies::RestartMode> restart = std::nullopt;  // default always
    // With wait: the reply comes once every instance is running (as for start).
    std::optional<bool> wait = std::nullopt;
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;

    bool waits() const { return wait.value_or(false); }
    std::optional<std::string> problem() const { return wait_problem(wait, timeout); }
    bool operator==(const Add&) const = default;
};

struct Delete {
    static constexpr std::string_view name = "delete";
    std::string service;  // "name"
    // With wait: the reply comes once every instance is down and reaped (as for stop).
    std::optional<bool> wait = std::nullopt;
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;

    bool waits() const { return wait.value_or(false); }
    std::optional<std::string> problem() const { return wait_problem(wait, timeout); }
    bool operator==(const Delete&) const = default;
};

struct Services {
    static constexpr std::string_view name = "services";
    bool operator==(const Services&) const = default;
};

}  // namespace corral::protocol
