#include <linux/magic.h>
#include <sys/statfs.h>

#include <cstdio>

#include "supervisor/cgroup/driver.hpp"
#include "supervisor/cgroup/hybrid_driver.hpp"

namespace corral::supervisor::cgroup {

std::string top_group_name(const fs::path& state_dir) {
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : fs::absolute(state_dir).lexically_normal().string()) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    char text[32];
    std::snprintf(text, sizeof text, "corral-%012llx", static_cast<unsigned long long>(hash & 0xffffffffffffull));
    return text;
}

Result<std::unique_ptr<Driver>> open_driver(const DriverOptions& options) {
    struct statfs st {};
    if (::statfs(options.root.c_str(), &st) != 0) return sys_error("use cgroups at", options.root.string());
    if (st.f_type == TMPFS_MAGIC) return make_hybrid_driver(options);
    return sys_error("use cgroups at", options.root.string(), ENOTSUP);
}

}  // namespace corral::supervisor::cgroup
