#include "supervisor/instance/log_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace corral::supervisor {

LogFile::LogFile(std::filesystem::path path, std::uint64_t max_size, unsigned keep)
    : path_(std::move(path)), max_size_(max_size), keep_(keep) {}

void LogFile::set_limits(std::uint64_t max_size, unsigned keep) {
    max_size_ = max_size;
    keep_ = keep;
}

void LogFile::report(const char* what, int err) {
    if (failing_) return;
    failing_ = true;
    spdlog::error("log {}: {}: {} (output is dropped until writing works again)", path_.string(), what,
                  std::strerror(err));
}

bool LogFile::open() {
    if (fd_) return true;
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        report("cannot open", errno);
        return false;
    }
    fd_.reset(fd);
    struct stat st {};
    size_ = fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    return true;
}

void LogFile::rotate() {
    fd_.reset();
    const std::string base = path_.string();
    if (keep_ == 0) {
        if (::truncate(base.c_str(), 0) != 0 && errno != ENOENT) report("cannot truncate", errno);
        return;
    }
    // rename() replaces the target atomically, so the oldest file simply falls off the end.
    for (unsigned i = keep_; i > 1; --i) {
        const std::string from = base + "." + std::to_string(i - 1);
        const std::string to = base + "." + std::to_string(i);
        if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) report("cannot rotate", errno);
    }
    if (::rename(base.c_str(), (base + ".1").c_str()) != 0 && errno != ENOENT) report("cannot rotate", errno);
}

void LogFile::append(std::string_view lines) {
    if (lines.empty() || !open()) return;
    while (!lines.empty()) {
        // As many whole lines as fit under max_size; a single longer line goes alone into a fresh file.
        std::size_t take = lines.size();
        if (size_ + take > max_size_) {
            const std::size_t room = max_size_ > size_ ? max_size_ - size_ : 0;
            const std::size_t cut = room == 0 ? std::string_view::npos : lines.rfind('\n', room - 1);
            if (cut != std::string_view::npos) {
                take = cut + 1;
            } else if (size_ > 0) {
                rotate();
                if (!open()) return;
                continue;
            } else {
                take = lines.find('\n') + 1;  // lines always end in '\n'
            }
        }
        if (!write_all(lines.substr(0, take))) return;
        lines.remove_prefix(take);
    }
    failing_ = false;
}

bool LogFile::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            report("cannot write", errno);
            return false;
        }
        size_ += static_cast<std::uint64_t>(n);
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace corral::supervisor
