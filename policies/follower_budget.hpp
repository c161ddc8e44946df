#pragma once
// One memory budget for every client that follows a stream (`logs --follow`, `events`) together. Each
// follower may keep at most its share of the budget waiting for it (the bytes of stream events written but
// not yet taken by its socket): the budget divided by the number of followers, never less than the floor
// (a follower must be able to hold a few long lines) and never more than the cap (one follower alone must
// not hold the whole budget). A follower past its share is cut (`slow_client`), and so is one above the
// floor once the whole budget is spent: so what waits for followers stays near max(total, followers x
// floor) whatever they do (plus, for those cut, what they held until they are closed), and a stalled one
// costs its share, not more.
//
// The budget also counts bytes given back since the allocator was last asked to return free memory to the
// system, so that its owner trims once after a large release rather than after every small one.
//
// Pure bookkeeping: no I/O, no clock.
#include <cstddef>

namespace corral::policies {

struct FollowerLimits {
    std::size_t total = std::size_t{32} << 20;
    std::size_t floor = std::size_t{256} << 10;
    std::size_t cap = std::size_t{1} << 20;

    bool operator==(const FollowerLimits&) const = default;
};

class FollowerBudget {
public:
    explicit FollowerBudget(FollowerLimits limits = {}) : limits_(limits) {}

    const FollowerLimits& limits() const { return limits_; }

    void join() { ++followers_; }
    void leave();
    std::size_t followers() const { return followers_; }
    // What one follower may keep waiting now: total / followers, within [floor, cap].
    std::size_t share() const;
    // Whether a follower with `waiting` bytes may not take `more`: past its share, or the budget as a whole
    // is spent (max(total, followers x floor)) and it holds more than the floor. The second rule cuts the
    // followers that got a larger share while they were few, once many have joined.
    bool over(std::size_t waiting, std::size_t more) const;

    // Bytes waiting for some follower: taken when queued, given back when written or dropped.
    void hold(std::size_t bytes) { held_ += bytes; }
    void release(std::size_t bytes);
    std::size_t held() const { return held_; }

    // Counts `bytes` of buffers freed by connections that went away.
    void freed(std::size_t bytes) { freed_since_trim_ += bytes; }
    // True, once, when what was freed since the last true passed `threshold`: the moment to give the free
    // memory back to the system.
    bool trim_due(std::size_t threshold);

private:
    FollowerLimits limits_;
    std::size_t followers_ = 0;
    std::size_t held_ = 0;
    std::size_t freed_since_trim_ = 0;
};

}  // namespace corral::policies
