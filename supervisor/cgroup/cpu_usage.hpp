#pragma once
// A group's cumulative CPU time: usage_usec of cpu.stat (cgroup v2, and the unified hierarchy of a hybrid
// host: the file is there whether the cpu controller is enabled or not), kept open and read with pread()
// at every sample, as UsageCounter reads memory.
//
// Ownership: owns the descriptor; the group's directory may go away under it, then read() fails.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"

namespace corral::supervisor::cgroup {

// The usage_usec line of cpu.stat's text; nullopt without one.
std::optional<std::uint64_t> parse_usage_usec(std::string_view cpu_stat);

class CpuUsageCounter {
public:
    CpuUsageCounter() = default;
    // `file`: Driver::cpu_stat_file(); ENOTSUP when it is "".
    static Result<CpuUsageCounter> open(const std::filesystem::path& file);

    explicit operator bool() const { return static_cast<bool>(fd_); }
    // Microseconds of CPU the group's processes used, all of them together, since the group was made.
    Result<std::uint64_t> read_usec() const;

private:
    UniqueFd fd_;
    std::filesystem::path file_;
};

}  // namespace corral::supervisor::cgroup
