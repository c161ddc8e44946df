#include "supervisor/cgroup/usage_counter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cerrno>

namespace corral::supervisor::cgroup {

Result<UsageCounter> UsageCounter::open(const std::filesystem::path& file) {
    if (file.empty()) return sys_error("open the memory counter of", "a group without one", ENOTSUP);
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sys_error("open", file.string());
    UsageCounter counter;
    counter.fd_.reset(fd);
    counter.file_ = file;
    return counter;
}

Result<std::uint64_t> UsageCounter::read() const {
    char text[32];
    const ssize_t n = ::pread(fd_.get(), text, sizeof text - 1, 0);
    if (n < 0) return sys_error("read", file_.string());
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text, text + n, value);
    if (error != std::errc() || end == text) return sys_error("parse", file_.string(), EINVAL);
    return value;
}

}  // namespace corral::supervisor::cgroup
