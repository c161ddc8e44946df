#include "supervisor/instance/log_file.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/text_format.hpp"

namespace corral::supervisor {

namespace {

std::int64_t unix_ms(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// The json format of `lines` (each ending in '\n'), into `out`. Output that is not UTF-8 is written with
// U+FFFD in place of the bad bytes: a log shipper gets valid JSON whatever the program wrote.
void append_json_lines(std::string_view lines, const std::string& time, const std::string& stream,
                       const std::string& instance, std::string& out) {
    for (std::size_t start = 0; start < lines.size();) {
        const std::size_t end = lines.find('\n', start);
        const nlohmann::ordered_json object = {{"time", time},
                                               {"stream", stream},
                                               {"instance", instance},
                                               {"line", lines.substr(start, end - start)}};
        out += object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out += '\n';
        start = end + 1;
    }
}

}  // namespace

LogFile::LogFile(std::filesystem::path path, std::uint64_t max_size, unsigned keep, std::string instance,
                 std::string stream)
    : path_(std::move(path)),
      max_size_(max_size),
      keep_(keep),
      index_(index_path(path_)),
      instance_(std::move(instance)),
      stream_(std::move(stream)) {}

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
    index_.restart();
    const std::string base = path_.string();
    if (keep_ == 0) {
        if (::truncate(base.c_str(), 0) != 0 && errno != ENOENT) report("cannot truncate", errno);
        ::unlink(index_path(base).c_str());
        return;
    }
    // rename() replaces the target atomically, so the oldest file simply falls off the end.
    const auto move = [&](const std::string& from, const std::string& to) {
        if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) report("cannot rotate", errno);
        if (::rename(index_path(from).c_str(), index_path(to).c_str()) != 0 && errno == ENOENT) {
            ::unlink(index_path(to).c_str());  // no index for `from`: none may stay for `to` either
        }
    };
    for (unsigned i = keep_; i > 1; --i) move(base + "." + std::to_string(i - 1), base + "." + std::to_string(i));
    move(base, base + ".1");
}

void LogFile::flush() {
    fd_.reset();
    index_.restart();
    const std::string base = path_.string();
    if (::truncate(base.c_str(), 0) != 0 && errno != ENOENT) report("cannot truncate", errno);
    ::unlink(index_path(base).c_str());
    // Every rotated file there is, not only up to `keep`: a lower keep may have left older ones.
    for (unsigned i = 1; i <= 1000; ++i) {
        const std::string rotated = base + "." + std::to_string(i);
        const bool had_index = ::unlink(index_path(rotated).c_str()) == 0;
        if (::unlink(rotated.c_str()) != 0 && !had_index && i > keep_) break;
    }
    size_ = 0;
}

void LogFile::append(std::string_view lines) {
    if (lines.empty()) return;
    if (!json_) return write_lines(lines);
    static std::string converted;  // its capacity is reused: the loop writes one batch at a time
    converted.clear();
    append_json_lines(lines, iso_utc(std::chrono::system_clock::now()), stream_, instance_, converted);
    write_lines(converted);
}

void LogFile::write_lines(std::string_view lines) {
    if (!open()) return;
    const std::int64_t now = unix_ms(std::chrono::system_clock::now());
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
        index_.note(size_, now);
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
