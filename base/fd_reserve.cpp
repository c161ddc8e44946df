#include "base/fd_reserve.hpp"

#include <fcntl.h>

namespace corral {

void FdReserve::fill(std::size_t count) {
    wanted_ = count;
    refill();
}

std::size_t FdReserve::refill() {
    while (fds_.size() < wanted_) {
        UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!fd) break;
        fds_.push_back(std::move(fd));
    }
    return fds_.size();
}

bool FdReserve::release_one() {
    if (fds_.empty()) return false;
    fds_.pop_back();
    return true;
}

FdReserve& fd_reserve() {
    static FdReserve reserve;
    return reserve;
}

}  // namespace corral
