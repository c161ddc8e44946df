// cgroup2 operations against the real kernel, on the controller-less unified hierarchy of a hybrid host
// (/sys/fs/cgroup/unified): move, freeze, kill, PSI, removal. Groups are created only below this test
// process's own unified cgroup, and are removed (their processes killed) even when a check fails.
// Skips itself with a message where there is no writable cgroup2 mount at /sys/fs/cgroup/unified.
#include <linux/magic.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <thread>

#include "supervisor/cgroup/cgroup2_ops.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"
#include "supervisor/cgroup/v2_driver.hpp"
#include "tests/support/sleeping_child.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::cgroup;
using namespace std::chrono_literals;
using corral::Result;
using corral::test::read_file;
using corral::test::SleepingChild;

namespace {

const fs::path kUnified = "/sys/fs/cgroup/unified";

// This process's cgroup in the unified hierarchy, as a directory; empty (with a reason) when unusable.
fs::path own_unified_dir(std::string& why_not) {
    struct statfs info {};
    if (::statfs(kUnified.c_str(), &info) != 0 || info.f_type != CGROUP2_SUPER_MAGIC) {
        why_not = kUnified.string() + " is not a cgroup2 mount";
        return {};
    }
    const auto own = own_cgroup_path(read_file("/proc/self/cgroup"), "");
    if (!own) {
        why_not = "/proc/self/cgroup has no 0:: line";
        return {};
    }
    fs::path dir = (kUnified / fs::path(*own).relative_path()).lexically_normal();
    if (!dir.has_filename()) dir = dir.parent_path();  // "/" gives ".../unified/"
    if (::access(dir.c_str(), W_OK) != 0) {
        why_not = dir.string() + " is not writable";
        return {};
    }
    return dir;
}

std::string unique_name() {
    std::random_device random;
    return "corral-test-" + std::to_string(::getpid()) + "-" + std::to_string(random() % 1'000'000);
}

// Removes a group tree whatever state a failed check left it in: thaws, kills, waits, removes.
class GroupGuard {
public:
    explicit GroupGuard(fs::path dir) : dir_(std::move(dir)) {}
    ~GroupGuard() {
        CgroupFs& fs = real_cgroup_fs();
        if (!fs.exists(dir_)) return;
        (void)fs.write(dir_ / "cgroup.freeze", "0");
        (void)v2::kill_all(fs, dir_);
        for (int attempt = 0; attempt < 200 && fs.exists(dir_); ++attempt) {
            if (v2::remove_tree(fs, dir_)) break;
            std::this_thread::sleep_for(10ms);
        }
    }
    GroupGuard(const GroupGuard&) = delete;
    GroupGuard& operator=(const GroupGuard&) = delete;

private:
    fs::path dir_;
};

std::string proc_status_state(pid_t pid) {
    const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
    const auto at = status.find("State:");
    return at == std::string::npos ? "" : status.substr(at, status.find('\n', at) - at);
}

}  // namespace

TEST_CASE("cgroup2 on the real unified hierarchy: move - freeze - thaw - kill - remove") {
    std::string why_not;
    const fs::path own = own_unified_dir(why_not);
    if (own.empty()) {
        MESSAGE("skipped: " << why_not);
        return;
    }
    CgroupFs& fs = real_cgroup_fs();
    const fs::path group = own / unique_name();
    const fs::path leaf = group / "api" / "0";
    GroupGuard guard(group);  // declared before the child: the child is killed first, then the group goes
    REQUIRE(v2::make_dirs(fs, own, leaf).ok());
    SleepingChild child;

    REQUIRE(v2::attach(fs, leaf, child.pid()).ok());
    const std::string expected_line = "0::/" + leaf.lexically_relative(kUnified).string();
    CHECK(read_file("/proc/" + std::to_string(child.pid()) + "/cgroup").find(expected_line + "\n") !=
          std::string::npos);
    CHECK(*v2::procs(fs, group) == std::vector<pid_t>{child.pid()});
    CHECK(*v2::populated(fs, group));
    CHECK(*v2::populated(fs, leaf));

    REQUIRE(v2::freeze(fs, group, true).ok());
    CHECK(v2::read_keyed(fs, leaf / "cgroup.events")->at("frozen") == 1);
    CAPTURE(proc_status_state(child.pid()));
    REQUIRE(v2::freeze(fs, group, false).ok());
    CHECK(v2::read_keyed(fs, leaf / "cgroup.events")->at("frozen") == 0);

    Result<std::string> pressure = fs.read(leaf / "memory.pressure");
    REQUIRE(pressure.ok());
    CHECK(pressure->starts_with("some avg10="));

    REQUIRE(v2::kill_all(fs, group).ok());
    const std::optional<int> status = child.wait(5s);
    REQUIRE(status.has_value());
    CHECK(WIFSIGNALED(*status));
    CHECK(WTERMSIG(*status) == SIGKILL);
    CHECK(v2::wait_empty(fs, group, 2s).ok());
    CHECK(v2::procs(fs, group)->empty());

    REQUIRE(v2::remove_tree(fs, group).ok());
    CHECK_FALSE(fs.exists(group));
}

TEST_CASE("cgroup2 on the real unified hierarchy: a frozen process dies by cgroup.kill") {
    std::string why_not;
    const fs::path own = own_unified_dir(why_not);
    if (own.empty()) {
        MESSAGE("skipped: " << why_not);
        return;
    }
    CgroupFs& fs = real_cgroup_fs();
    const fs::path group = own / unique_name();
    GroupGuard guard(group);
    REQUIRE(v2::make_dirs(fs, own, group).ok());
    SleepingChild child;
    REQUIRE(v2::attach(fs, group, child.pid()).ok());
    REQUIRE(v2::freeze(fs, group, true).ok());
    auto busy = fs.remove_dir(group);
    REQUIRE_FALSE(busy.ok());
    CHECK(busy.error().code == EBUSY);

    REQUIRE(v2::kill(fs, group).ok());
    const std::optional<int> status = child.wait(5s);
    REQUIRE(status.has_value());
    CHECK(WTERMSIG(*status) == SIGKILL);
    CHECK(v2::wait_empty(fs, group, 2s).ok());
    REQUIRE(v2::remove_tree(fs, group).ok());
    CHECK_FALSE(fs.exists(group));
}

TEST_CASE("cgroup2 on the real unified hierarchy: the v2 driver without controllers") {
    std::string why_not;
    const fs::path own = own_unified_dir(why_not);
    if (own.empty()) {
        MESSAGE("skipped: " << why_not);
        return;
    }
    const std::string top = unique_name();
    const auto own_path = own_cgroup_path(read_file("/proc/self/cgroup"), "");
    GroupGuard guard(own / top);
    Result<std::unique_ptr<V2Driver>> opened = V2Driver::open(real_cgroup_fs(), kUnified, *own_path, top, ::getpid());
    REQUIRE(opened.ok());
    V2Driver& driver = **opened;
    CHECK(driver.top_dir() == own / top);
    CHECK(driver.controllers().empty());

    Limits memory;
    memory.memory.max = 64ULL << 20;
    REQUIRE(driver.unsupported(memory).size() == 1);
    CHECK(driver.unsupported(memory)[0].starts_with("memory.max: the memory controller is not delegated to " +
                                                    own.string()));
    CHECK(driver.create("api/0", memory).error().code == ENOENT);
    REQUIRE(driver.create("api/1", Limits{}).ok());

    SleepingChild child;
    REQUIRE(v2::attach(real_cgroup_fs(), driver.join_targets("api/1").front().dir, child.pid()).ok());
    CHECK(*driver.populated("api/1"));
    CHECK(driver.remove("api/1").error().code == EBUSY);
    REQUIRE(driver.kill_all("api/1").ok());
    CHECK(WTERMSIG(*child.wait(5s)) == SIGKILL);
    CHECK(v2::wait_empty(real_cgroup_fs(), driver.top_dir(), 2s).ok());
    REQUIRE(driver.clear_leftovers().ok());  // api/0, left by the refused create
    CHECK(real_cgroup_fs().subdirs(driver.top_dir()).empty());
    REQUIRE(driver.remove_top().ok());
    CHECK_FALSE(real_cgroup_fs().exists(driver.top_dir()));
}

TEST_CASE("watch_modifications: an inotify fd that becomes readable when the file changes") {
    corral::test::TempDir dir;
    const auto file = dir.write("memory.events", "oom_kill 0\n");
    Result<int> fd = v2::watch_modifications(file);
    REQUIRE(fd.ok());
    char buffer[256];
    CHECK(::read(*fd, buffer, sizeof buffer) < 0);  // nothing yet (non-blocking)
    dir.write("memory.events", "oom_kill 1\n");
    CHECK(::read(*fd, buffer, sizeof buffer) > 0);
    ::close(*fd);
    CHECK_FALSE(v2::watch_modifications(dir / "missing").ok());
}
