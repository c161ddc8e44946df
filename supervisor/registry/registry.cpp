#include "supervisor/registry/registry.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/file_text.hpp"

namespace corral::registry {
namespace fs = std::filesystem;

namespace {

std::optional<Entry> read_entry(const fs::path& file) {
    std::ifstream in(file);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    std::string error;
    return entry_from_json(text.str(), error);
}

}  // namespace

Entry entry_of_this_daemon(const fs::path& socket, const fs::path& service_file, const fs::path& state_dir) {
    Entry entry;
    entry.pid = ::getpid();
    entry.pid_start = process_start_time(entry.pid).value_or(0);
    entry.socket = socket;
    std::error_code ec;
    if (!service_file.empty()) entry.service_file = fs::weakly_canonical(service_file, ec);
    if (ec) entry.service_file = service_file;
    entry.state_dir = state_dir;
    entry.version = CORRAL_VERSION;
    entry.started_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    return entry;
}

fs::path entry_path(const fs::path& dir, pid_t pid) { return dir / (std::to_string(pid) + ".json"); }

Status write_entry(const fs::path& dir, const Entry& entry) {
    return write_file_atomically(entry_path(dir, entry.pid), entry_to_json(entry));
}

void remove_entry(const fs::path& dir, const Entry& entry) {
    const fs::path file = entry_path(dir, entry.pid);
    const auto found = read_entry(file);
    if (found && found->pid_start != entry.pid_start) return;
    ::unlink(file.c_str());
}

bool is_stale(const Entry& entry, std::optional<std::uint64_t> current_start) {
    return !current_start || *current_start != entry.pid_start;
}

std::vector<Entry> read_entries(const fs::path& dir) {
    std::vector<Entry> entries;
    // Entries point the CLI at sockets: only a directory of this user is believed.
    struct stat info {};
    if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid()) return entries;
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(dir, ec)) {
        if (item.path().extension() != ".json") continue;
        auto entry = read_entry(item.path());
        if (!entry || item.path().filename() != entry_path(dir, entry->pid).filename()) continue;
        if (is_stale(*entry, process_start_time(entry->pid))) {
            remove_entry(dir, *entry);
            continue;
        }
        entries.push_back(std::move(*entry));
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.started_at_ms != b.started_at_ms ? a.started_at_ms < b.started_at_ms : a.pid < b.pid;
    });
    return entries;
}

std::optional<Entry> find_by_service_file(const fs::path& dir, const fs::path& file) {
    for (Entry& entry : read_entries(dir)) {
        if (!entry.service_file.empty() && entry.service_file == file) return std::move(entry);
    }
    return std::nullopt;
}

Result<Registration> Registration::create(fs::path dir, Entry entry) {
    if (Status written = write_entry(dir, entry); !written) return written.error();
    Registration registration;
    registration.dir_ = std::move(dir);
    registration.entry_ = std::move(entry);
    registration.registered_ = true;
    return registration;
}

Registration& Registration::operator=(Registration&& other) noexcept {
    if (this != &other) {
        remove();
        dir_ = std::move(other.dir_);
        entry_ = std::move(other.entry_);
        registered_ = std::exchange(other.registered_, false);
    }
    return *this;
}

void Registration::remove() {
    if (registered_) remove_entry(dir_, entry_);
    registered_ = false;
}

}  // namespace corral::registry
