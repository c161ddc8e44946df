#pragma once
// How often the sampler reads an instance's memory statistics in full. Every tick reads one cheap counter
// (the group's usage: one pread); the full statistics (limits, memory.stat, PSI, OOM counters, the
// processes' write counters) cost a dozen files, so they are read only when
//   - there is no full reading yet (a new incarnation),
//   - the counter moved by `moved_bytes` or more since the last full reading,
//   - usage is at `near_limit_percent` of memory.max or above (where OOM kills and thrashing happen),
//   - pressure showed: between the last two full readings, the PSI "full" stall, the refault counter or the
//     limit hits moved (the thrash detector then gets a sample every tick, as before),
//   - or `calm_every` passed since the last one (a calm group still gets a row in its timeline, and the
//     thrash detector a sample, at that pace).
// Pure: readings and the clock come in.
#include <cstdint>
#include <optional>

#include "policies/clock.hpp"

namespace corral::policies {

// calm_every where the kernel reports movement (v1 thresholds around the last full reading) and the
// thresholds: then a calm reading only finds what moves no counter the kernel watches (a stall alone).
inline constexpr Duration kWatchedCalmEvery{300'000};

struct MemoryPacingParams {
    std::uint64_t moved_bytes = 512 * 1024;
    Duration calm_every{60'000};
    unsigned near_limit_percent = 90;
};

// What a full reading showed, as far as pacing cares.
struct PacingReading {
    TimePoint at;
    std::uint64_t current = 0;
    std::optional<std::uint64_t> max;
    std::optional<std::uint64_t> full_stall_us;  // PSI full total; nullopt without PSI
    std::uint64_t refaults = 0;
    std::uint64_t limit_hits = 0;
};

class MemoryPacing {
public:
    // Whether this tick reads in full; `current` is the cheap counter (nullopt: it could not be read).
    bool full_read_due(const MemoryPacingParams& params, std::optional<std::uint64_t> current, TimePoint now) const;
    void on_full_read(const MemoryPacingParams& params, const PacingReading& reading);
    // Pressure showed at the last full reading: every tick reads in full until a reading shows none.
    bool pressed() const { return pressed_; }
    void reset() {
        last_.reset();
        pressed_ = false;
    }

private:
    std::optional<PacingReading> last_;
    bool pressed_ = false;
};

}  // namespace corral::policies
