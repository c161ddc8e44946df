#pragma once
// A group's cheap memory counter (Driver::usage_file: v1 memory.usage_in_bytes, v2 memory.current), kept
// open and read with pread(): one system call per read, where reading the file by name costs an open, a
// read and a close. The kernel regenerates the text at every read from offset 0.
//
// Ownership: owns the descriptor; the group's directory may go away under it, then read() fails (ENODEV).
#include <cstdint>
#include <filesystem>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"

namespace corral::supervisor::cgroup {

class UsageCounter {
public:
    UsageCounter() = default;
    static Result<UsageCounter> open(const std::filesystem::path& file);

    explicit operator bool() const { return static_cast<bool>(fd_); }
    // Bytes charged to the group now.
    Result<std::uint64_t> read() const;

private:
    UniqueFd fd_;
    std::filesystem::path file_;
};

}  // namespace corral::supervisor::cgroup
