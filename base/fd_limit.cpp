#include "base/fd_limit.hpp"

namespace corral {

namespace {

std::optional<rlim_t> children_limit;

}  // namespace

std::optional<rlim_t> fd_limit_for_children() { return children_limit; }

Result<FdLimit> raise_fd_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return sys_error("read", "RLIMIT_NOFILE");
    FdLimit result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
    if (limit.rlim_cur == limit.rlim_max) return result;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return sys_error("raise", "RLIMIT_NOFILE");
    result.soft = limit.rlim_max;
    children_limit = result.before;
    return result;
}

}  // namespace corral
