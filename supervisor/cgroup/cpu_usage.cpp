#include "supervisor/cgroup/cpu_usage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace corral::supervisor::cgroup {

std::optional<std::uint64_t> parse_usage_usec(std::string_view cpu_stat) {
    constexpr std::string_view kKey = "usage_usec ";
    for (std::size_t start = 0; start < cpu_stat.size();) {
        const std::size_t end = std::min(cpu_stat.find('\n', start), cpu_stat.size());
        const std::string_view line = cpu_stat.substr(start, end - start);
        if (line.starts_with(kKey)) {
            std::uint64_t value = 0;
            const char* first = line.data() + kKey.size();
            const auto [last, error] = std::from_chars(first, line.data() + line.size(), value);
            if (error != std::errc() || last == first) return std::nullopt;
            return value;
        }
        start = end + 1;
    }
    return std::nullopt;
}

Result<CpuUsageCounter> CpuUsageCounter::open(const std::filesystem::path& file) {
    if (file.empty()) return sys_error("open the CPU counter of", "a group without one", ENOTSUP);
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sys_error("open", file.string());
    CpuUsageCounter counter;
    counter.fd_.reset(fd);
    counter.file_ = file;
    return counter;
}

Result<std::uint64_t> CpuUsageCounter::read_usec() const {
    char text[1024];  // usage_usec is the first line; the throttling and burst counters follow
    const ssize_t n = ::pread(fd_.get(), text, sizeof text, 0);
    if (n < 0) return sys_error("read", file_.string());
    const auto usec = parse_usage_usec(std::string_view(text, static_cast<std::size_t>(n)));
    if (!usec) return sys_error("parse", file_.string(), EINVAL);
    return *usec;
}

}  // namespace corral::supervisor::cgroup
