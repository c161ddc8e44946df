// The pure v2 driver on a fake cgroupfs: delegation, limits, what the host cannot do; the top group's
// name; layout detection errors.
#include "supervisor/cgroup/v2_driver.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>

#include "tests/support/doctest_strings.hpp"
#include "tests/support/fake_v2_host.hpp"
#include "tests/support/sleeping_child.hpp"

using namespace corral::supervisor::cgroup;
using corral::test::FakeCgroupFs;
using corral::test::FakeV2Host;
using corral::test::SleepingChild;

namespace {

Limits all_limits() {
    Limits limits;
    limits.memory.max = 512ULL << 20;
    limits.memory.high = 400ULL << 20;
    limits.memory.swap_max = 0;
    limits.pids.max = 64;
    limits.cpu.weight = 200;
    limits.cpu.max_percent = 150;
    return limits;
}

// Index of the first write to `file` in the fake's log, or -1.
long first_write(const FakeCgroupFs& fs, const fs::path& file, const std::string& value) {
    const auto& writes = fs.writes();
    const auto found = std::ranges::find_if(writes, [&](const auto& w) { return w.file == file && w.value == value; });
    return found == writes.end() ? -1 : found - writes.begin();
}

}  // namespace

TEST_CASE("v2 driver: moves the daemon into a supervisor leaf before enabling controllers in its cgroup") {
    FakeV2Host host;
    auto driver = host.open();
    const std::string self = std::to_string(::getpid()) + "\n";
    CHECK(host.fs.contents(host.base / "supervisor/cgroup.procs") == self);
    CHECK(host.fs.contents(host.base / "cgroup.procs") == "");
    CHECK(host.fs.contents(host.base / "cgroup.subtree_control") == "cpu memory pids\n");
    // cpu only once an instance needs it (see the test below).
    CHECK(host.fs.contents(host.top / "cgroup.subtree_control") == "memory pids\n");
    const long moved = first_write(host.fs, host.base / "supervisor/cgroup.procs", std::to_string(::getpid()));
    const long enabled = first_write(host.fs, host.base / "cgroup.subtree_control", "+memory +pids +cpu");
    CHECK(moved >= 0);
    CHECK(enabled > moved);
    CHECK(driver->describe() == "cgroup v2 at " + host.top.string());
}

TEST_CASE("v2 driver: cpu reaches the instance groups only once one of them needs it, and then stays") {
    FakeV2Host host;
    auto driver = host.open();
    CHECK(host.fs.contents(host.top / "cgroup.subtree_control") == "memory pids\n");
    Limits memory_only;
    memory_only.memory.max = 256ULL << 20;
    REQUIRE(driver->create("api/0", memory_only).ok());
    CHECK(host.fs.contents(host.top / "api/cgroup.subtree_control") == "memory pids\n");
    CHECK_FALSE(host.fs.exists(host.top / "api/0/cpu.weight"));
    // Lifting a cap that was never set writes nothing.
    const std::size_t before = host.fs.writes().size();
    REQUIRE(driver->set_cpu_max("api/0", std::nullopt).ok());
    CHECK(host.fs.writes().size() == before);

    // A cap (the sender throttle) turns cpu on below <top> and in "api", which holds the group capped.
    REQUIRE(driver->set_cpu_max("api/0", 10).ok());
    CHECK(host.fs.contents(host.top / "cgroup.subtree_control") == "cpu memory pids\n");
    CHECK(host.fs.contents(host.top / "api/cgroup.subtree_control") == "cpu memory pids\n");
    CHECK(host.fs.contents(host.top / "api/0/cpu.max") == "10000 100000\n");
    // Groups made afterwards get it too.
    REQUIRE(driver->create("web/0", memory_only).ok());
    CHECK(host.fs.contents(host.top / "web/cgroup.subtree_control") == "cpu memory pids\n");
    CHECK(host.fs.contents(host.top / "web/0/cpu.weight") == "100\n");
}

TEST_CASE("v2 driver: a CPU limit at create turns cpu on before the group is made") {
    FakeV2Host host;
    auto driver = host.open();
    Limits cpu;
    cpu.cpu.weight = 50;
    REQUIRE(driver->create("api/0", cpu).ok());
    CHECK(host.fs.contents(host.top / "api/cgroup.subtree_control") == "cpu memory pids\n");
    CHECK(host.fs.contents(host.top / "api/0/cpu.weight") == "50\n");
}

TEST_CASE("v2 driver: a top group an earlier daemon left with cpu on keeps it on") {
    FakeV2Host host;
    {
        auto first = host.open();
        Limits cpu;
        cpu.cpu.max_percent = 50;
        REQUIRE(first->create("api/0", cpu).ok());
    }
    auto second = host.open();
    REQUIRE(second->create("web/0", Limits{}).ok());
    CHECK(host.fs.contents(host.top / "web/cgroup.subtree_control") == "cpu memory pids\n");
}

TEST_CASE("v2 driver: leaves the daemon in place when its cgroup holds no process") {
    FakeV2Host host;
    host.fs.place(host.fs.root(), ::getpid());  // the daemon runs elsewhere; base is empty
    auto driver = host.open();
    CHECK_FALSE(host.fs.exists(host.base / "supervisor"));
    CHECK(host.fs.contents(host.base / "cgroup.subtree_control") == "cpu memory pids\n");
}

TEST_CASE("v2 driver: a daemon in the root cgroup stays there since the root may hold processes") {
    FakeV2Host host({"cpu"});
    host.fs.place(host.fs.root(), ::getpid());
    auto options = host.options();
    options.self_cgroup = "0::/\n";
    auto driver = V2Driver::open(options);
    REQUIRE(driver.ok());
    CHECK((*driver)->base() == host.fs.root());
    CHECK_FALSE(host.fs.exists(host.fs.root() / "supervisor"));
    CHECK(host.fs.contents(host.fs.root() / "cgroup.subtree_control") == "cpu memory pids\n");
    CHECK(host.fs.contents(host.fs.root() / "cgroup.procs") == std::to_string(::getpid()) + "\n");
}

TEST_CASE("v2 driver: opening again reuses the layout without moving the daemon twice") {
    FakeV2Host host;
    host.open();
    const std::size_t writes = host.fs.writes().size();
    auto again = host.open();
    for (std::size_t i = writes; i < host.fs.writes().size(); ++i) {
        CHECK(host.fs.writes()[i].file != host.base / "supervisor/cgroup.procs");
        CHECK(host.fs.writes()[i].error == 0);
    }
}

TEST_CASE("v2 driver: a daemon already in its supervisor leaf takes the parent as its base") {
    FakeV2Host host;
    host.open();
    auto options = host.options();
    options.self_cgroup = "0::/system.slice/corral.service/supervisor\n";
    auto driver = V2Driver::open(options);
    REQUIRE(driver.ok());
    CHECK((*driver)->base() == host.base);
    CHECK((*driver)->top_dir() == host.top);
}

TEST_CASE("v2 driver: other processes in the daemon's cgroup make delegation fail with advice") {
    FakeV2Host host;
    SleepingChild other;
    host.fs.place(host.base, other.pid());
    auto driver = open_driver(host.options());
    REQUIRE_FALSE(driver.ok());
    CHECK(driver.error().code == EBUSY);
    const std::string message = driver.error().message();
    CHECK(message.find((host.base / "cgroup.subtree_control").string()) != std::string::npos);
    CHECK(message.find("where it is alone") != std::string::npos);
    CHECK(message.find("Delegate=yes") != std::string::npos);
}

TEST_CASE("v2 driver: a missing daemon cgroup is an error naming its path") {
    FakeV2Host host;
    auto options = host.options();
    options.self_cgroup = "0::/system.slice/gone.service\n";
    auto driver = open_driver(options);
    REQUIRE_FALSE(driver.ok());
    CHECK(driver.error().code == ENOENT);
    CHECK(driver.error().message().find((host.fs.root() / "system.slice/gone.service").string()) != std::string::npos);
}

TEST_CASE("v2 driver: /proc/self/cgroup without a 0:: line is an error") {
    FakeV2Host host;
    auto options = host.options();
    options.self_cgroup = "1:name=systemd:/\n";
    auto driver = open_driver(options);
    REQUIRE_FALSE(driver.ok());
    CHECK(driver.error().message().find("/proc/self/cgroup") != std::string::npos);
}

TEST_CASE("v2 driver: create writes every limit before any process joins") {
    FakeV2Host host;
    auto driver = host.open();
    REQUIRE(driver->create("api/0", all_limits()).ok());
    const fs::path leaf = host.top / "api/0";
    CHECK(host.fs.contents(host.top / "api/cgroup.subtree_control") == "cpu memory pids\n");
    CHECK(host.fs.contents(leaf / "cgroup.subtree_control") == "");
    CHECK(host.fs.contents(leaf / "memory.max") == "536870912\n");
    CHECK(host.fs.contents(leaf / "memory.high") == "419430400\n");
    CHECK(host.fs.contents(leaf / "memory.swap.max") == "0\n");
    CHECK(host.fs.contents(leaf / "pids.max") == "64\n");
    CHECK(host.fs.contents(leaf / "cpu.weight") == "200\n");
    CHECK(host.fs.contents(leaf / "cpu.max") == "150000 100000\n");
    for (const auto& write : host.fs.writes()) {
        CHECK(write.file != leaf / "cgroup.procs");
        CHECK(write.error == 0);
    }
    CHECK(driver->join_targets("api/0") == std::vector<JoinTarget>{{"", leaf}});

    SleepingChild child;
    host.fs.place(driver->join_targets("api/0").front().dir, child.pid());
    CHECK(*driver->populated("api/0"));
    CHECK(*driver->procs("api/0") == std::vector<pid_t>{child.pid()});
    CHECK(driver->events_file("api/0") == leaf / "cgroup.events");
}

TEST_CASE("v2 driver: unset limits are written as the kernel defaults so a rewrite lifts them") {
    FakeV2Host host;
    auto driver = host.open();
    REQUIRE(driver->create("api/0", all_limits()).ok());
    REQUIRE(driver->set_limits("api/0", Limits{}).ok());
    const fs::path leaf = host.top / "api/0";
    CHECK(host.fs.contents(leaf / "memory.max") == "max\n");
    CHECK(host.fs.contents(leaf / "memory.high") == "max\n");
    CHECK(host.fs.contents(leaf / "memory.swap.max") == "max\n");
    CHECK(host.fs.contents(leaf / "pids.max") == "max\n");
    CHECK(host.fs.contents(leaf / "cpu.weight") == "100\n");
    CHECK(host.fs.contents(leaf / "cpu.max") == "max 100000\n");

    Limits tighter;
    tighter.memory.max = 64ULL << 20;
    REQUIRE(driver->create("api/0", tighter).ok());  // an existing group is reused
    CHECK(host.fs.contents(leaf / "memory.max") == "67108864\n");
}

TEST_CASE("v2 driver: pids.max beyond what the kernel accepts means no limit") {
    FakeV2Host host;
    auto driver = host.open();
    Limits limits;
    limits.pids.max = 10'000'000;
    REQUIRE(driver->create("api/0", limits).ok());
    CHECK(host.fs.contents(host.top / "api/0/pids.max") == "max\n");
}

TEST_CASE("v2 driver: set_limits of a missing group and bad group names are errors") {
    FakeV2Host host;
    auto driver = host.open();
    auto missing = driver->set_limits("api/9", Limits{});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ENOENT);
    for (const std::string name : {"", "/api", "api/../..", "api//0", "api/", "."}) {
        CAPTURE(name);
        auto created = driver->create(name, Limits{});
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().code == EINVAL);
        CHECK_FALSE(driver->kill_all(name).ok());
        CHECK_FALSE(driver->remove(name).ok());
    }
}

TEST_CASE("v2 driver: limits of controllers that are not delegated are reported and refused") {
    FakeV2Host host({"cpu", "pids"});
    auto driver = host.open();
    const std::string where =
        " controller is not delegated to " + host.base.string() + " (cgroup.controllers: cpu pids)";
    CHECK(driver->unsupported(all_limits()) == std::vector<std::string>{
                                                   "memory.max: the memory" + where,
                                                   "memory.high: the memory" + where,
                                                   "memory.swap_max: the memory" + where,
                                               });
    Limits cpu_and_pids;
    cpu_and_pids.pids.max = 10;
    cpu_and_pids.cpu.weight = 50;
    CHECK(driver->unsupported(cpu_and_pids).empty());
    CHECK(driver->create("api/0", cpu_and_pids).ok());  // the unset memory limits have nothing to restore

    auto refused = driver->create("api/1", all_limits());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ENOENT);
    CHECK(refused.error().path == (host.top / "api/1/memory.max").string());
}

TEST_CASE("v2 driver: cpu and pids limits need their controllers too") {
    FakeV2Host host({"memory"});
    auto driver = host.open();
    const std::vector<std::string> lines = driver->unsupported(all_limits());
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].starts_with("pids.max: the pids controller is not delegated"));
    CHECK(lines[1].starts_with("cpu.weight: the cpu controller"));
    CHECK(lines[2].starts_with("cpu.max_percent: the cpu controller"));
    CHECK(lines[2].ends_with("(cgroup.controllers: memory)"));
}

TEST_CASE("v2 driver: swap_max is unsupported without swap accounting") {
    FakeV2Host host({"memory", "pids", "cpu"}, FakeCgroupFs::Features{.kill = true, .swap = false});
    auto driver = host.open();
    Limits swap;
    swap.memory.swap_max = 0;
    CHECK(driver->unsupported(swap) == std::vector<std::string>{"memory.swap_max: this kernel does not account swap (" +
                                                                host.top.string() + " has no memory.swap.max)"});
    Limits memory_only;
    memory_only.memory.max = 1ULL << 30;
    CHECK(driver->unsupported(memory_only).empty());
    CHECK(driver->create("api/0", memory_only).ok());
    CHECK_FALSE(driver->create("api/1", swap).ok());
}

TEST_CASE("top group name: corral- and 12 hex digits of the normalized absolute state directory") {
    const std::string name = top_group_name("/var/lib/corral");
    CHECK(name == "corral-c26064561b37");  // FNV-1a 64, low 48 bits: stable across versions
    CHECK(top_group_name("/var/lib/./corral/") == name);
    CHECK(top_group_name("/var/lib/x/../corral") == name);
    CHECK(top_group_name("/var/lib/corral2") != name);
    CHECK(top_group_name("relative/state") == top_group_name(fs::current_path() / "relative/state"));
    const std::string other = top_group_name("/home/me/app/.corral");
    CHECK(other.size() == 19);
    CHECK(other.starts_with("corral-"));
    CHECK(std::all_of(other.begin() + 7, other.end(), [](char c) { return std::isxdigit(c) && !std::isupper(c); }));
}

TEST_CASE("open driver: a missing root is an error naming it") {
    DriverOptions options;
    options.root = "/nonexistent";
    options.top = "corral-test";
    auto driver = open_driver(options);
    REQUIRE_FALSE(driver.ok());
    CHECK(driver.error().message() == "cannot use cgroups at /nonexistent: No such file or directory");
}

TEST_CASE("open driver: a filesystem that is neither cgroup2 nor tmpfs is refused") {
    DriverOptions options;
    options.root = "/proc";
    options.top = "corral-test";
    auto driver = open_driver(options);
    REQUIRE_FALSE(driver.ok());
    CHECK(driver.error().code == ENOTSUP);
    CHECK(driver.error().message().starts_with("cannot use cgroups at /proc: "));
}
