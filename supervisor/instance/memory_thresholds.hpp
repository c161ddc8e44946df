#pragma once
// Memory thresholds armed in the kernel: one eventfd per threshold (Driver::open_threshold; v1 hosts),
// polled on the loop, so that a group crossing memory.restart_at or memory.snapshot_at is heard when it
// happens instead of at the next full reading. The kernel signals a crossing in either direction; the
// owner verifies with a real read (a crossing is a hint, never a verdict).
//
// Where the kernel cannot tell (v2: ENOTSUP), arm() returns false and nothing is watched: the sampler's
// cheap counter, read every tick, finds the crossing instead.
//
// Ownership: owned by the MemoryMonitor; each threshold's uv_poll is closed before its eventfd.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "base/uv_handle.hpp"
#include "supervisor/cgroup/driver.hpp"

namespace corral::supervisor {

class MemoryThresholds {
public:
    // `crossed` runs on the loop when any armed threshold is crossed.
    MemoryThresholds(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group,
                     std::function<void()> crossed);
    MemoryThresholds(const MemoryThresholds&) = delete;
    MemoryThresholds& operator=(const MemoryThresholds&) = delete;

    // Watches exactly `bytes` (sorted, duplicates dropped); thresholds already armed stay armed. False
    // when the kernel cannot watch one (the reason is logged once).
    bool arm(std::vector<std::uint64_t> bytes);
    void disarm() { armed_.clear(); }
    // The thresholds being watched, for tests.
    std::vector<std::uint64_t> armed() const;

private:
    struct Armed {
        std::uint64_t bytes = 0;
        UniqueFd event;
        UvHandle<uv_poll_t> poll;  // after `event`: destroyed, so closed, first
    };
    static void on_ready(uv_poll_t* poll, int status, int events);

    uv_loop_t* loop_;
    cgroup::Driver& driver_;
    std::string instance_;
    std::string group_;
    std::function<void()> crossed_;
    std::vector<std::unique_ptr<Armed>> armed_;
    bool unsupported_logged_ = false;
};

}  // namespace corral::supervisor
