#pragma once
// The daemons of this user, one entry file each in the runtime directory (runtime_dir.hpp). A daemon
// writes its entry once its control socket listens (Registration) and removes it when it exits; one that
// died without removing it (SIGKILL, a crash) leaves a stale entry, which readers remove: its pid is gone,
// or belongs to a process started at another time.
//
// Entries are written to a temporary file and renamed, so a reader sees a whole entry or none.
#include <filesystem>
#include <optional>
#include <vector>

#include "base/sys_result.hpp"
#include "supervisor/registry/entry.hpp"

namespace corral::registry {

// The entry of this process as a daemon: its pid and start time, the version, the time now; the service
// file is made canonical (empty stays empty: `corral run`).
Entry entry_of_this_daemon(const std::filesystem::path& socket, const std::filesystem::path& service_file,
                           const std::filesystem::path& state_dir);

// dir/<pid>.json
std::filesystem::path entry_path(const std::filesystem::path& dir, pid_t pid);

Status write_entry(const std::filesystem::path& dir, const Entry& entry);
// Removes `entry`'s file if it is still this entry's (a daemon that got the same pid later wrote its own).
void remove_entry(const std::filesystem::path& dir, const Entry& entry);

// Whether `entry` no longer names a running daemon: `current_start` is what process_start_time() says of
// its pid now.
bool is_stale(const Entry& entry, std::optional<std::uint64_t> current_start);

// Every live entry in `dir`, oldest daemon first; stale entries are removed on the way. A file that is not
// an entry is left alone and skipped. A missing directory has none, and so has one that is not this
// user's (open_runtime_dir() would refuse it).
std::vector<Entry> read_entries(const std::filesystem::path& dir);

// The entry of the daemon whose service file is `file` (absolute and lexically normal), if one is live.
std::optional<Entry> find_by_service_file(const std::filesystem::path& dir, const std::filesystem::path& file);

// This process's entry, from write until destruction. Move-only.
class Registration {
public:
    Registration() = default;
    // Writes `entry` into `dir`; the error says why not (the daemon runs on unregistered).
    static Result<Registration> create(std::filesystem::path dir, Entry entry);
    ~Registration() { remove(); }
    Registration(Registration&& other) noexcept { *this = std::move(other); }
    Registration& operator=(Registration&& other) noexcept;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

    void remove();

private:
    std::filesystem::path dir_;
    Entry entry_;
    bool registered_ = false;
};

}  // namespace corral::registry
