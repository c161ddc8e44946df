#pragma once
// A few descriptors held in reserve (open on /dev/null), so that the daemon can still open what control
// needs when the process is at its descriptor limit (EMFILE) or the system is (ENFILE): a cgroup file to
// stop or kill a service, a control-socket connection. One reserve per process, used from the loop's
// thread only.
//
// with_spare_fd(op): runs `op`; when it failed for want of a descriptor, gives one reserve descriptor back
// to the kernel, runs `op` again, then takes the reserve back. `op` must close what it opened before it
// returns (a read or write of a file); a descriptor that stays open (an accepted connection) uses
// release_one() and refill() directly.
#include <cerrno>
#include <cstddef>
#include <vector>

#include "base/unique_fd.hpp"

namespace corral {

inline bool out_of_descriptors(int code) { return code == EMFILE || code == ENFILE; }

class FdReserve {
public:
    // Opens descriptors until `count` are held (fewer when the limit is reached already).
    void fill(std::size_t count);
    // Opens descriptors until the count asked for last is held again; returns how many are held.
    std::size_t refill();
    // Closes one held descriptor; false when none is left.
    bool release_one();
    std::size_t held() const { return fds_.size(); }
    std::size_t wanted() const { return wanted_; }

private:
    std::vector<UniqueFd> fds_;
    std::size_t wanted_ = 0;
};

// The process's reserve (empty until the daemon fills it).
FdReserve& fd_reserve();

// `op()` returns a Status or a Result<T>; see above.
template <typename Op>
auto with_spare_fd(Op&& op) -> decltype(op()) {
    auto result = op();
    if (result || !out_of_descriptors(result.error().code)) return result;
    if (!fd_reserve().release_one()) return result;
    auto retried = op();
    fd_reserve().refill();
    return retried;
}

}  // namespace corral
