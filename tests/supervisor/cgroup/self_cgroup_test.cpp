#include "supervisor/cgroup/self_cgroup.hpp"

#include <doctest/doctest.h>

using corral::supervisor::cgroup::own_cgroup_path;

TEST_CASE("own cgroup paths from /proc/self/cgroup of a hybrid host") {
    const char* text =
        "9:name=systemd:/\n8:pids:/\n6:freezer:/\n4:memory:/process_api/6828\n2:cpu,cpuacct:/a\n0::/user.slice\n";
    CHECK(own_cgroup_path(text, "memory") == "/process_api/6828");
    CHECK(own_cgroup_path(text, "pids") == "/");
    CHECK(own_cgroup_path(text, "cpu") == "/a");
    CHECK(own_cgroup_path(text, "cpuacct") == "/a");
    CHECK(own_cgroup_path(text, "") == "/user.slice");
    CHECK_FALSE(own_cgroup_path(text, "blkio").has_value());
    CHECK_FALSE(own_cgroup_path(text, "cpus").has_value());
}

TEST_CASE("own cgroup path of a pure v2 host") {
    CHECK(own_cgroup_path("0::/system.slice/corral.service\n", "") == "/system.slice/corral.service");
    CHECK_FALSE(own_cgroup_path("0::/system.slice/corral.service\n", "memory").has_value());
    CHECK_FALSE(own_cgroup_path("", "").has_value());
}
