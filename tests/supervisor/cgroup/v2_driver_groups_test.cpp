// The pure v2 driver on a fake cgroupfs: what it does to instance groups once they exist (freeze, kill,
// memory, removal) and the cleanup of an earlier daemon's groups. Kills without cgroup.kill send real
// SIGKILLs to children this test forks.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>

#include "supervisor/cgroup/v2_driver.hpp"
#include "tests/support/fake_v2_host.hpp"
#include "tests/support/sleeping_child.hpp"

using namespace corral::supervisor::cgroup;
using namespace std::chrono_literals;
using corral::Result;
using corral::test::FakeCgroupFs;
using corral::test::FakeV2Host;
using corral::test::SleepingChild;

namespace {

bool killed_by_sigkill(SleepingChild& child) {
    const std::optional<int> status = child.wait(5s);
    return status && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL;
}

const FakeCgroupFs::Features kNoCgroupKill{.kill = false, .swap = true};

}  // namespace

TEST_CASE("v2 driver: freeze returns once cgroup.events reports the group frozen") {
    FakeV2Host host;
    auto driver = host.open();
    REQUIRE(driver->create("api/0", Limits{}).ok());
    REQUIRE(driver->freeze("api/0", true).ok());
    CHECK(host.fs.contents(host.top / "api/0/cgroup.events") == "populated 0\nfrozen 1\n");
    REQUIRE(driver->freeze("api/0", false).ok());
    CHECK(host.fs.contents(host.top / "api/0/cgroup.events") == "populated 0\nfrozen 0\n");
    CHECK(driver->freeze("api/9", true).error().code == ENOENT);
}

TEST_CASE("v2 driver: kill_all writes cgroup.kill") {
    FakeV2Host host;
    auto driver = host.open();
    REQUIRE(driver->create("api/0", Limits{}).ok());
    SleepingChild child;
    host.fs.place(host.top / "api/0", child.pid());
    REQUIRE(*driver->populated("api/0"));
    REQUIRE(driver->kill_all("api/0").ok());
    CHECK(host.fs.writes().back().file == host.top / "api/0/cgroup.kill");
    CHECK(host.fs.writes().back().value == "1");
    CHECK_FALSE(*driver->populated("api/0"));
}

TEST_CASE("v2 driver: kill_all without cgroup.kill freezes - SIGKILLs every process - thaws") {
    FakeV2Host host({"memory", "pids", "cpu"}, kNoCgroupKill);
    auto driver = host.open();
    REQUIRE(driver->create("api/0", Limits{}).ok());
    SleepingChild first;
    SleepingChild second;
    host.fs.place(host.top / "api/0", first.pid());
    host.fs.place(host.top / "api/0", second.pid());
    const std::size_t before = host.fs.writes().size();
    REQUIRE(driver->kill_all("api/0").ok());
    CHECK(killed_by_sigkill(first));
    CHECK(killed_by_sigkill(second));
    CHECK_FALSE(*driver->populated("api/0"));

    std::vector<std::string> freezes;
    for (std::size_t i = before; i < host.fs.writes().size(); ++i) {
        const auto& write = host.fs.writes()[i];
        if (write.file.filename() == "cgroup.kill") CHECK(write.error == ENOENT);
        if (write.file.filename() == "cgroup.freeze") freezes.push_back(write.value);
    }
    CHECK(freezes == std::vector<std::string>{"1", "0"});
    CHECK(host.fs.contents(host.top / "api/0/cgroup.freeze") == "0\n");
}

TEST_CASE("v2 driver: kill_all of a missing group is ENOENT") {
    FakeV2Host host({"memory", "pids", "cpu"}, kNoCgroupKill);
    auto driver = host.open();
    auto killed = driver->kill_all("api/9");
    REQUIRE_FALSE(killed.ok());
    CHECK(killed.error().code == ENOENT);
}

TEST_CASE("v2 driver: remove refuses a populated group and takes empty parents along") {
    FakeV2Host host;
    auto driver = host.open();
    REQUIRE(driver->create("api/0", Limits{}).ok());
    REQUIRE(driver->create("api/1", Limits{}).ok());
    SleepingChild child;
    host.fs.place(host.top / "api/0", child.pid());

    auto busy = driver->remove("api/0");
    REQUIRE_FALSE(busy.ok());
    CHECK(busy.error().code == EBUSY);
    CHECK(host.fs.exists(host.top / "api/0"));

    REQUIRE(driver->kill_all("api/0").ok());
    REQUIRE(driver->remove("api/0").ok());
    CHECK_FALSE(host.fs.exists(host.top / "api/0"));
    CHECK(host.fs.exists(host.top / "api/1"));  // api still has a child
    REQUIRE(driver->remove("api/1").ok());
    CHECK_FALSE(host.fs.exists(host.top / "api"));
    CHECK(host.fs.exists(host.top));
    CHECK(driver->remove("api/1").ok());  // already gone
}

TEST_CASE("v2 driver: clear_leftovers kills and removes every group of an earlier daemon") {
    FakeV2Host host;
    auto earlier = host.open();
    REQUIRE(earlier->create("api/0", Limits{}).ok());
    REQUIRE(earlier->create("api/1", Limits{}).ok());
    REQUIRE(earlier->create("worker/0", Limits{}).ok());
    SleepingChild a;
    SleepingChild b;
    host.fs.place(host.top / "api/1", a.pid());
    host.fs.place(host.top / "worker/0", b.pid());

    auto driver = host.open();
    Result<int> cleared = driver->clear_leftovers();
    REQUIRE(cleared.ok());
    CHECK(*cleared == 2);
    CHECK(host.fs.subdirs(host.top).empty());
    CHECK(host.fs.exists(host.top));
    CHECK(*driver->clear_leftovers() == 0);
    REQUIRE(driver->remove_top().ok());
    CHECK_FALSE(host.fs.exists(host.top));
    CHECK(driver->remove_top().ok());
    CHECK(*driver->clear_leftovers() == 0);
}

TEST_CASE("v2 driver: clear_leftovers without cgroup.kill SIGKILLs the leftovers") {
    FakeV2Host host({"memory", "pids", "cpu"}, kNoCgroupKill);
    auto earlier = host.open();
    REQUIRE(earlier->create("api/0", Limits{}).ok());
    SleepingChild child;
    host.fs.place(host.top / "api/0", child.pid());

    auto driver = host.open();
    Result<int> cleared = driver->clear_leftovers();
    REQUIRE(cleared.ok());
    CHECK(*cleared == 1);
    CHECK(killed_by_sigkill(child));
    CHECK(host.fs.subdirs(host.top).empty());
    CHECK(host.fs.contents(host.top / "cgroup.freeze") == "0\n");
}

TEST_CASE("v2 driver: remove_top refuses while instance groups remain") {
    FakeV2Host host;
    auto driver = host.open();
    REQUIRE(driver->create("api/0", Limits{}).ok());
    auto busy = driver->remove_top();
    REQUIRE_FALSE(busy.ok());
    CHECK(busy.error().code == EBUSY);
    CHECK(host.fs.exists(host.top / "api/0"));
}

TEST_CASE("v2 driver: memory reads memory.current - peak - max - stat and events") {
    FakeV2Host host;
    auto driver = host.open();
    Limits limits;
    limits.memory.max = 256ULL << 20;
    REQUIRE(driver->create("api/0", limits).ok());
    const fs::path leaf = host.top / "api/0";
    host.fs.set_contents(leaf / "memory.current", "104857600\n");
    host.fs.set_contents(leaf / "memory.peak", "209715200\n");
    host.fs.set_contents(leaf / "memory.stat",
                         "anon 73400320\nfile 20971520\nkernel 4194304\nfile_dirty 1048576\nfile_writeback 4096\n"
                         "workingset_refault_anon 12\nworkingset_refault_file 250000\nthp_fault_alloc 0\n");
    host.fs.set_contents(leaf / "memory.events", "low 0\nhigh 7\nmax 1234\noom 2\noom_kill 1\noom_group_kill 0\n");
    host.fs.set_contents(leaf / "memory.pressure", "some avg10=12.50 avg60=3.00 avg300=1.00 total=123\n"
                                                   "full avg10=7.25 avg60=2.00 avg300=0.50 total=99\n");

    MemoryStats expected;
    expected.current = 104857600;
    expected.peak = 209715200;
    expected.max = 268435456;
    expected.anon = 73400320;
    expected.file = 20971520;
    expected.dirty = 1048576;
    expected.writeback = 4096;
    expected.refault_anon = 12;
    expected.refault_file = 250000;
    expected.oom_kills = 1;
    expected.limit_hits = 1234;
    expected.psi_some_avg10 = 12.5;
    expected.psi_full_avg10 = 7.25;
    expected.psi_full_total_us = 99;  // the cumulative stall the thrash detector works on
    Result<MemoryStats> stats = driver->memory("api/0");
    REQUIRE(stats.ok());
    CHECK(*stats == expected);

    // Before Linux 5.19 there is no memory.peak; unlimited is nullopt.
    fs::remove(leaf / "memory.peak");
    REQUIRE(driver->set_limits("api/0", Limits{}).ok());
    stats = driver->memory("api/0");
    REQUIRE(stats.ok());
    CHECK(stats->peak == 0);
    CHECK_FALSE(stats->max.has_value());
}

TEST_CASE("v2 driver: memory of a host without the memory controller is an error") {
    FakeV2Host host({"pids", "cpu"});
    auto driver = host.open();
    REQUIRE(driver->create("api/0", Limits{}).ok());
    Result<MemoryStats> stats = driver->memory("api/0");
    REQUIRE_FALSE(stats.ok());
    CHECK(stats.error().code == ENOENT);
    CHECK(stats.error().path == (host.top / "api/0/memory.current").string());
}

TEST_CASE("v2 driver: the instances' top group weighs less than the daemon for the CPU") {
    FakeV2Host host;
    auto driver = host.open();
    CHECK(host.fs.contents(host.top / "cpu.weight") == std::to_string(kInstancesCpuWeight) + "\n");
}

TEST_CASE("v2 driver: set_cpu_max moves cpu.max alone and puts the cap back") {
    FakeV2Host host;
    auto driver = host.open();
    Limits limits;
    limits.memory.max = 64ULL << 20;
    limits.cpu.max_percent = 150;
    REQUIRE(driver->create("api/0", limits).ok());
    const std::size_t before = host.fs.writes().size();
    REQUIRE(driver->set_cpu_max("api/0", 10).ok());
    CHECK(host.fs.contents(host.top / "api/0/cpu.max") == "10000 100000\n");
    REQUIRE(driver->set_cpu_max("api/0", 150).ok());
    CHECK(host.fs.contents(host.top / "api/0/cpu.max") == "150000 100000\n");
    REQUIRE(driver->set_cpu_max("api/0", std::nullopt).ok());
    CHECK(host.fs.contents(host.top / "api/0/cpu.max") == "max 100000\n");
    CHECK(host.fs.writes().size() == before + 3);  // nothing but cpu.max
    CHECK(driver->set_cpu_max("../x", 10).error().code == EINVAL);
}

TEST_CASE("v2 driver: set_cpu_max without the cpu controller is an explicit error") {
    FakeV2Host host({"memory", "pids"});
    auto driver = host.open();
    REQUIRE(driver->create("api/0", Limits{}).ok());
    CHECK(driver->set_cpu_max("api/0", 10).error().code == ENOTSUP);
}
