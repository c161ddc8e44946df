#include "base/fd_limit.hpp"

namespace corral {

Result<FdLimit> raise_fd_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return sys_error("read", "RLIMIT_NOFILE");
    FdLimit result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
    if (limit.rlim_cur == limit.rlim_max) return result;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return sys_error("raise", "RLIMIT_NOFILE");
    result.soft = limit.rlim_max;
    return result;
}

}  // namespace corral
