#pragma once
// Memory thresholds armed in the kernel: one eventfd per threshold (Driver::prepare_threshold; v1 hosts),
// polled on the loop, so that a group crossing memory.restart_at or memory.snapshot_at is heard when it
// happens instead of at the next full reading. The kernel signals a crossing in either direction; the
// owner verifies with a real read (a crossing is a hint, never a verdict).
//
// The kernel waits for an RCU grace period on every threshold it adds (5-15 ms here): the registrations are
// written on libuv's thread pool, never on the loop, and `registered` tells the owner when the last one it
// asked for is in (a crossing before that is not signalled: the owner reads once more then).
//
// Where the kernel cannot tell (v2: ENOTSUP), arm() returns false and nothing is watched: the sampler's
// cheap counter, read every tick, finds the crossing instead.
//
// Ownership: owned by the MemoryMonitor; each threshold's uv_poll is closed before its eventfd. A
// registration still being written owns its own descriptors and outlives this object if it must.
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
    // `crossed` runs on the loop when any armed threshold is crossed; `registered(ok)` when the kernel has
    // taken every registration in flight (ok: none failed; a failed threshold is no longer armed).
    MemoryThresholds(uv_loop_t* loop, cgroup::Driver& driver, std::string instance, std::string group,
                     std::function<void()> crossed, std::function<void(bool ok)> registered = {});
    ~MemoryThresholds();
    MemoryThresholds(const MemoryThresholds&) = delete;
    MemoryThresholds& operator=(const MemoryThresholds&) = delete;

    // Watches exactly `bytes` (sorted, duplicates dropped); thresholds already armed stay armed. False
    // when the kernel cannot watch one (the reason is logged once).
    bool arm(std::vector<std::uint64_t> bytes);
    void disarm() { armed_.clear(); }
    // The thresholds being watched or registered, for tests.
    std::vector<std::uint64_t> armed() const;
    // Registrations being written.
    bool registering() const { return !in_flight_.empty(); }

private:
    struct Armed {
        std::uint64_t bytes = 0;
        std::uint64_t id = 0;
        UniqueFd event;
        UvHandle<uv_poll_t> poll;  // after `event`: destroyed, so closed, first
    };
    struct Registration;
    static void on_ready(uv_poll_t* poll, int status, int events);
    static void on_register(uv_work_t* work);
    static void on_registered(uv_work_t* work, int status);
    void registered(Registration& registration);

    uv_loop_t* loop_;
    cgroup::Driver& driver_;
    std::string instance_;
    std::string group_;
    std::function<void()> crossed_;
    std::function<void(bool)> registered_;
    std::vector<std::unique_ptr<Armed>> armed_;
    std::vector<Registration*> in_flight_;  // owned by their uv_work_t until on_registered
    std::uint64_t next_id_ = 1;
    bool failed_ = false;  // since the last time nothing was in flight
    bool unsupported_logged_ = false;
};

}  // namespace corral::supervisor
