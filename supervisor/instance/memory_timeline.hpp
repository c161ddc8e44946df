#pragma once
// The last minutes of an instance's memory readings, for its post-mortem (memory.csv) and for status:
// a ring of compact samples (sizes in KiB as 32-bit numbers, rates as floats), about 40 bytes each, so
// that 10 minutes of 1 s samples cost 24 KiB per instance. A row is a full reading (MemoryMonitor): one
// per tick while usage moves or pressure shows, one a minute while the group is calm, so the ring may
// reach further back than 10 minutes.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor {

struct TimelineSample {
    std::int64_t time_ms = 0;  // UTC, milliseconds since the epoch
    std::uint32_t current_kib = 0;
    std::uint32_t anon_kib = 0;
    std::uint32_t file_kib = 0;
    std::uint32_t dirty_kib = 0;
    std::uint32_t writeback_kib = 0;
    float refaults_per_s = 0;
    float psi_some = NAN;  // percent; NaN without PSI
    float psi_full = NAN;
    float write_bytes_per_s = 0;
};

class MemoryTimeline {
public:
    explicit MemoryTimeline(std::size_t capacity) : capacity_(capacity) {}

    // Adds a sample; the refault rate is computed from the previous one.
    void add(std::int64_t time_ms, const cgroup::MemoryStats& stats, double write_bytes_per_s);
    // Oldest first.
    std::vector<TimelineSample> samples() const;
    std::size_t size() const { return ring_.size(); }
    void set_capacity(std::size_t capacity);

    // memory.csv (header + one row per sample, oldest first).
    std::string to_csv() const;

private:
    std::size_t capacity_;
    std::vector<TimelineSample> ring_;
    std::size_t next_ = 0;  // where the next sample goes once the ring is full
    std::optional<std::uint64_t> last_refaults_;
    std::int64_t last_time_ms_ = 0;
};

}  // namespace corral::supervisor
