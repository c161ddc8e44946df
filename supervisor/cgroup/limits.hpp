#pragma once
// Resource limits of one instance, as a service file states them. Unset means "write nothing": the
// kernel default (no limit) stays.
#include <cstdint>
#include <optional>

namespace corral::supervisor::cgroup {

struct MemoryLimits {
    std::optional<std::uint64_t> max;       // v2 memory.max;      v1 memory.limit_in_bytes (hard, OOM-kill)
    std::optional<std::uint64_t> high;      // v2 memory.high;     v1 memory.soft_limit_in_bytes (see README)
    std::optional<std::uint64_t> swap_max;  // v2 memory.swap.max; v1 memory.memsw.limit_in_bytes = max + swap_max

    bool operator==(const MemoryLimits&) const = default;
};

struct PidsLimits {
    std::optional<std::uint64_t> max;  // pids.max

    bool operator==(const PidsLimits&) const = default;
};

struct CpuLimits {
    std::optional<unsigned> weight;       // 1..10000, default 100: v2 cpu.weight; v1 cpu.shares = weight*1024/100
    std::optional<unsigned> max_percent;  // of one CPU (150 = 1.5 CPUs): v2 cpu.max; v1 cpu.cfs_quota_us

    bool operator==(const CpuLimits&) const = default;
};

struct Limits {
    MemoryLimits memory;
    PidsLimits pids;
    CpuLimits cpu;

    bool operator==(const Limits&) const = default;
};

inline constexpr std::uint64_t kCpuPeriodUs = 100'000;

// Whether `limits` asks for anything of the cpu controller (an instance then needs a cpu group of its own).
inline bool has_cpu_limits(const Limits& limits) { return limits.cpu.weight || limits.cpu.max_percent; }

// The CPU weight of the top group, all instances together, against the daemon (v2: its leaf at weight
// 100; v1: its task at nice 0, 1024 shares): equal, so that with every instance busy the daemon still gets
// as much CPU as all of them together, a whole core when it needs one. Not lower: where the daemon runs in
// the host's root cpu group (v1 hosts without a service manager), the top group also weighs against every
// other task of the host, and at 25 a compile beside corral held 10 cold starts at 815 ms (438 ms at 100).
inline constexpr unsigned kInstancesCpuWeight = 100;

// The v1 and v2 spellings of the CPU limits.
inline std::uint64_t cpu_shares_from_weight(unsigned weight) { return std::uint64_t{weight} * 1024 / 100; }
inline std::uint64_t cpu_quota_us(unsigned max_percent) { return std::uint64_t{max_percent} * kCpuPeriodUs / 100; }

}  // namespace corral::supervisor::cgroup
