#pragma once
// What a service asks corral to watch in its memory, beyond the kernel's limits:
//   restart_at   restart the instance gracefully once its cgroup's usage reaches this (pm2's
//                max_memory_restart, but counting every process of the instance and checked every sample);
//   snapshot_at  ask Node for a heap snapshot once per incarnation when usage reaches this;
//   thrashing    kill an instance whose memory pressure (PSI "full") stays above `full_percent` for
//                `window`: with a limit close to its working set the kernel may never OOM-kill it.
#include <cstdint>
#include <optional>

#include "policies/clock.hpp"

namespace corral::policies {

// A size in bytes, or a share of memory.max.
struct MemoryThreshold {
    std::optional<std::uint64_t> bytes;
    std::optional<unsigned> percent_of_max;  // 1..100

    // The threshold in bytes for a given memory.max; nullopt when it is a share and there is no max.
    std::optional<std::uint64_t> resolve(std::optional<std::uint64_t> max) const {
        if (bytes) return bytes;
        if (percent_of_max && max) return *max / 100 * *percent_of_max + *max % 100 * *percent_of_max / 100;
        return std::nullopt;
    }
    bool operator==(const MemoryThreshold&) const = default;
};

struct ThrashParams {
    bool enabled = true;
    bool configured = false;  // written in the service file (then a host without PSI is worth an error)
    unsigned full_percent = 50;
    Duration window{10'000};

    bool operator==(const ThrashParams&) const = default;
};

struct MemoryWatch {
    std::optional<MemoryThreshold> restart_at;
    std::optional<MemoryThreshold> snapshot_at;
    ThrashParams thrashing;

    bool operator==(const MemoryWatch&) const = default;
};

}  // namespace corral::policies
