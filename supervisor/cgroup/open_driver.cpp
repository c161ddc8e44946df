// Detects the cgroup layout once and picks the driver; names the top group.
#include <linux/magic.h>
#include <sys/statfs.h>

#include <cinttypes>
#include <cstdio>

#include "supervisor/cgroup/driver.hpp"
#include "supervisor/cgroup/hybrid_driver.hpp"
#include "supervisor/cgroup/v2_driver.hpp"

namespace corral::supervisor::cgroup {

Result<std::unique_ptr<Driver>> open_driver(const DriverOptions& options) {
    const auto pure_v2 = [&]() -> Result<std::unique_ptr<Driver>> {
        Result<std::unique_ptr<V2Driver>> driver = V2Driver::open(options);
        if (!driver) return driver.error();
        return std::unique_ptr<Driver>(std::move(*driver));
    };
    if (options.assume_v2) return pure_v2();

    struct statfs info {};
    if (::statfs(options.root.c_str(), &info) != 0) return sys_error("use cgroups at", options.root.string());
    if (info.f_type == CGROUP2_SUPER_MAGIC) return pure_v2();
    if (info.f_type == TMPFS_MAGIC) return make_hybrid_driver(options);
    return with_hint(sys_error("use cgroups at", options.root.string(), ENOTSUP),
                     "it is neither a cgroup2 mount nor a tmpfs holding cgroup v1 hierarchies");
}

std::string top_group_name(const fs::path& state_dir) {
    std::error_code error;
    fs::path absolute = fs::absolute(state_dir, error);
    if (error) absolute = state_dir;
    std::string path = absolute.lexically_normal().string();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    std::uint64_t hash = 14695981039346656037U;  // 64-bit FNV-1a
    for (const unsigned char byte : path) {
        hash ^= byte;
        hash *= std::uint64_t{1099511628211U};
    }
    char digits[13];
    std::snprintf(digits, sizeof digits, "%012" PRIx64, static_cast<std::uint64_t>(hash & 0xffff'ffff'ffffU));
    return std::string("corral-") + digits;
}

}  // namespace corral::supervisor::cgroup
