// The fake cgroupfs the v2 driver tests rely on must fail where the kernel fails. The checks both can
// run (the unified hierarchy here has no controllers) run on both; the controller rules on the fake only.
#include "tests/support/fake_cgroupfs.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <random>

#include "supervisor/cgroup/cgroup2_ops.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"
#include "tests/support/sleeping_child.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::cgroup;
using namespace std::chrono_literals;
using corral::test::FakeCgroupFs;
using corral::test::read_file;
using corral::test::SleepingChild;
using corral::test::TempDir;

namespace {

int error_of(const corral::Status& status) { return status ? 0 : status.error().code; }

// Creates and removes `group` (below an existing group) with one sleeping process moved through it.
void check_group_semantics(CgroupFs& fs, const fs::path& group) {
    REQUIRE(fs.make_dir(group).ok());
    CHECK(error_of(fs.make_dir(group)) == EEXIST);
    CHECK(error_of(fs.make_dir(group / "x/y")) == ENOENT);
    for (const char* file : {"cgroup.procs", "cgroup.controllers", "cgroup.subtree_control", "cgroup.events",
                             "cgroup.freeze", "cgroup.kill", "memory.pressure", "cpu.pressure"}) {
        CAPTURE(file);
        CHECK(fs.exists(group / file));
    }
    CHECK(*fs.read(group / "cgroup.events") == "populated 0\nfrozen 0\n");
    CHECK(*fs.read(group / "cgroup.subtree_control") == "");
    CHECK(error_of(fs.write(group / "memory.max", "1")) == ENOENT);  // no memory controller here
    CHECK_FALSE(fs.exists(group / "memory.max"));
    CHECK(error_of(fs.write(group / "cgroup.freeze", "2")) == ERANGE);
    CHECK(error_of(fs.write(group / "cgroup.kill", "0")) == ERANGE);
    CHECK(fs.read(group / "cgroup.kill").error().code == EINVAL);
    CHECK(error_of(fs.write(group / "cgroup.subtree_control", "+memory")) == ENOENT);
    CHECK(error_of(fs.write(group / "cgroup.subtree_control", "+bogus")) == EINVAL);
    CHECK(error_of(fs.write(group / "cgroup.procs", "abc")) == EINVAL);
    CHECK(error_of(fs.write(group / "cgroup.procs", "1073741823")) == ESRCH);

    REQUIRE(fs.make_dir(group / "leaf").ok());
    SleepingChild child;
    REQUIRE(v2::attach(fs, group / "leaf", child.pid()).ok());
    CHECK(*v2::populated(fs, group));
    CHECK(*v2::procs(fs, group) == std::vector<pid_t>{child.pid()});
    CHECK(error_of(fs.remove_dir(group / "leaf")) == EBUSY);
    CHECK(error_of(fs.remove_dir(group)) == EBUSY);
    REQUIRE(v2::freeze(fs, group, true).ok());
    CHECK(*fs.read(group / "leaf/cgroup.events") == "populated 1\nfrozen 1\n");
    REQUIRE(v2::freeze(fs, group, false).ok());
    REQUIRE(v2::kill(fs, group).ok());
    CHECK(v2::wait_empty(fs, group, 2s).ok());
    CHECK(*fs.read(group / "leaf/cgroup.events") == "populated 0\nfrozen 0\n");
    REQUIRE(fs.remove_dir(group / "leaf").ok());
    REQUIRE(fs.remove_dir(group).ok());
    CHECK_FALSE(fs.exists(group));
    CHECK(error_of(fs.remove_dir(group)) == ENOENT);
}

}  // namespace

TEST_CASE("fake cgroupfs: groups - processes - freeze and kill behave as in cgroupfs") {
    TempDir dir;
    FakeCgroupFs fake(dir / "cgroup", {"hugetlb"});
    check_group_semantics(fake, fake.root() / "group");
}

TEST_CASE("fake cgroupfs: the same checks pass on the real unified hierarchy") {
    struct statfs info {};
    const auto own = own_cgroup_path(read_file("/proc/self/cgroup"), "");
    fs::path base = ("/sys/fs/cgroup/unified" / fs::path(own.value_or("/")).relative_path()).lexically_normal();
    if (!base.has_filename()) base = base.parent_path();
    if (::statfs("/sys/fs/cgroup/unified", &info) != 0 || info.f_type != CGROUP2_SUPER_MAGIC || !own ||
        ::access(base.c_str(), W_OK) != 0) {
        MESSAGE("skipped: no writable cgroup2 hierarchy at /sys/fs/cgroup/unified");
        return;
    }
    std::random_device random;
    const fs::path group =
        base / ("corral-test-" + std::to_string(::getpid()) + "-" + std::to_string(random() % 1'000'000));
    struct Cleanup {
        fs::path dir;
        ~Cleanup() {
            (void)v2::kill_all(real_cgroup_fs(), dir);
            for (int i = 0; i < 200 && real_cgroup_fs().exists(dir) && !v2::remove_tree(real_cgroup_fs(), dir); ++i) {
                ::usleep(10'000);
            }
        }
    } cleanup{group};
    check_group_semantics(real_cgroup_fs(), group);
}

TEST_CASE("fake cgroupfs: controllers pass down through subtree_control with the no-internal-process rule") {
    TempDir dir;
    FakeCgroupFs fake(dir / "cgroup", {"cpu", "memory", "pids"});
    const fs::path a = fake.root() / "a";
    REQUIRE(fake.make_dir(a).ok());
    CHECK(fake.contents(a / "cgroup.controllers") == "");
    CHECK_FALSE(fake.exists(a / "memory.max"));
    REQUIRE(v2::enable_controllers(fake, fake.root(), {"memory", "pids"}).ok());
    CHECK(fake.contents(a / "cgroup.controllers") == "memory pids\n");
    CHECK(fake.contents(a / "memory.max") == "max\n");
    CHECK(fake.contents(a / "pids.max") == "max\n");
    CHECK_FALSE(fake.exists(a / "cpu.max"));

    SleepingChild child;
    fake.place(a, child.pid());
    CHECK(error_of(v2::enable_controllers(fake, a, {"memory"})) == EBUSY);
    REQUIRE(fake.make_dir(a / "leaf").ok());
    fake.place(a / "leaf", child.pid());
    CHECK(fake.contents(a / "cgroup.procs") == "");
    REQUIRE(v2::enable_controllers(fake, a, {"memory"}).ok());
    CHECK(fake.contents(a / "leaf/memory.current") == "0\n");
    CHECK(error_of(v2::attach(fake, a, child.pid())) == EBUSY);
    CHECK(error_of(fake.write(fake.root() / "cgroup.subtree_control", "-memory")) == EBUSY);

    CHECK(error_of(fake.write(a / "leaf/memory.max", "1000")) == 0);
    CHECK(fake.contents(a / "leaf/memory.max") == "0\n");  // whole pages
    CHECK(error_of(fake.write(a / "leaf/memory.max", "lots")) == EINVAL);
    CHECK(error_of(fake.write(a / "leaf/memory.current", "0")) == EACCES);
    CHECK(error_of(fake.write(a / "leaf/cgroup.events", "populated 0")) == EACCES);
}

TEST_CASE("fake cgroupfs: cpu and pids values are checked like the kernel checks them") {
    TempDir dir;
    FakeCgroupFs fake(dir / "cgroup", {"cpu", "pids"});
    REQUIRE(v2::enable_controllers(fake, fake.root(), {"cpu", "pids"}).ok());
    const fs::path g = fake.root() / "g";
    REQUIRE(fake.make_dir(g).ok());
    CHECK(error_of(fake.write(g / "cpu.weight", "0")) == ERANGE);
    CHECK(error_of(fake.write(g / "cpu.weight", "10001")) == ERANGE);
    CHECK(error_of(fake.write(g / "cpu.weight", "250")) == 0);
    CHECK(error_of(fake.write(g / "cpu.max", "500 100000")) == EINVAL);
    CHECK(error_of(fake.write(g / "cpu.max", "50000")) == 0);
    CHECK(fake.contents(g / "cpu.max") == "50000 100000\n");
    CHECK(error_of(fake.write(g / "cpu.max", "max 100000")) == 0);
    CHECK(error_of(fake.write(g / "pids.max", "4194305")) == EINVAL);
    CHECK(error_of(fake.write(g / "pids.max", "100")) == 0);
    CHECK(fake.writes().back().value == "100");
}
