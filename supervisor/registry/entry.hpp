#pragma once
// One registered daemon: what a client needs to find it and to tell it from a process that got its pid
// later. Stored as one JSON object per file, <runtime dir>/<pid>.json.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace corral::registry {

struct Entry {
    pid_t pid = 0;
    // The pid's start time, field 22 of /proc/<pid>/stat (clock ticks since boot): a pid reused by another
    // process after the daemon died has another one.
    std::uint64_t pid_start = 0;
    std::filesystem::path socket;
    std::filesystem::path service_file;  // absolute; empty for a daemon of `corral run`
    std::filesystem::path state_dir;
    std::string version;
    std::int64_t started_at_ms = 0;  // Unix time in ms

    bool operator==(const Entry&) const = default;
};

std::string entry_to_json(const Entry& entry);
// The entry in `text`, or nullopt with `error` saying what is missing or wrong.
std::optional<Entry> entry_from_json(const std::string& text, std::string& error);

// The start time of `pid` (as Entry::pid_start), or nullopt when there is no such process (or only its
// zombie: it is dead, not yet reaped).
std::optional<std::uint64_t> process_start_time(pid_t pid);
// Field 22 of a /proc/<pid>/stat line, or nullopt when the line has no such field or its state (field 3)
// is Z or X. The command name (field 2, in parentheses) may hold spaces and parentheses itself.
std::optional<std::uint64_t> start_time_of_stat(const std::string& stat_line);

}  // namespace corral::registry
