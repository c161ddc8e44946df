// Every instance in its own cgroup: placement before exec, limits, kernel OOM kills, kill-all, leftovers
// of a daemon killed with -9, required/auto/off. Real kernel, real Node processes. Every group a test's
// daemon creates lives below the test's own cgroup and is removed by ~CorralProcess even on failure.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "supervisor/cgroup/driver.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"
#include "tests/support/control_socket.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;
using corral::supervisor::cgroup::own_cgroup_path;

namespace {

// The cgroup path of `pid` in `hierarchy`, as /proc/<pid>/cgroup says.
std::string cgroup_of(pid_t pid, const std::string& hierarchy) {
    return own_cgroup_path(read_file("/proc/" + std::to_string(pid) + "/cgroup"), hierarchy).value_or("?");
}

nlohmann::json status_of(const fs::path& state_dir) {
    const std::string text = read_file(state_dir / "status.json");
    return text.empty() ? nlohmann::json() : nlohmann::json::parse(text, nullptr, false);
}

pid_t first(const fs::path& record, const std::string& what) {
    const auto records = records_of(record, what);
    return records.empty() ? 0 : records.front().pid;
}

#define REQUIRE_HYBRID()                                                                   \
    if (!hybrid_cgroups()) {                                                               \
        MESSAGE("skipped: this host does not have the hybrid cgroup layout these checks read"); \
        return;                                                                            \
    }

}  // namespace

TEST_CASE("an instance and its grandchild sit in the instance's cgroups with the configured limits") {
    REQUIRE_HYBRID();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", GRANDCHILD_SETSID = "1" }
memory = { max = "300MiB", high = "200MiB", swap_max = "0" }
pids = { max = 64 }
cpu = { weight = 50, max = "50%" }
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "grandchild") == 1; }, 10s));
    const auto state = dir / ".corral";
    for (const pid_t pid : {first(dir / "record", "start"), first(dir / "record", "grandchild")}) {
        CAPTURE(pid);
        for (const auto& top : daemon_cgroup_tops(state)) {
            CAPTURE(top.hierarchy);
            const fs::path expected = top.top / "family/0";
            CHECK(expected.string().ends_with(cgroup_of(pid, top.hierarchy)));
            CHECK(cgroup_of(pid, top.hierarchy).ends_with("/family/0"));
        }
    }
    const fs::path memory = daemon_cgroup_dir(state, "memory", "family/0");
    CHECK(read_trimmed(memory / "memory.limit_in_bytes") == "314572800");
    CHECK(read_trimmed(memory / "memory.soft_limit_in_bytes") == "209715200");
    if (fs::exists(memory / "memory.memsw.limit_in_bytes")) {
        CHECK(read_trimmed(memory / "memory.memsw.limit_in_bytes") == "314572800");
    }
    // The 64 of the file, and one for the standby (the next incarnation, waiting in the group).
    CHECK(read_trimmed(daemon_cgroup_dir(state, "pids", "family/0") / "pids.max") == "65");
    const fs::path cpu = daemon_cgroup_dir(state, "cpu", "family/0");
    CHECK(read_trimmed(cpu / "cpu.shares") == "512");
    CHECK(read_trimmed(cpu / "cpu.cfs_period_us") == "100000");
    CHECK(read_trimmed(cpu / "cpu.cfs_quota_us") == "50000");
    CHECK(corral.stop() == 0);
    for (const auto& top : daemon_cgroup_tops(state)) CHECK_FALSE(fs::exists(top.top));
}

TEST_CASE("without a CPU limit an instance runs in the top cpu group, and a reload that adds one moves it and its grandchild") {
    REQUIRE_HYBRID();
    TempDir dir;
    const auto write = [&](const std::string& cpu) {
        dir.write("corral.toml", subst(R"(
[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", GRANDCHILD_SETSID = "1" }
memory = { max = "300MiB" }
${cpu}
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}, {"cpu", cpu}}));
    };
    write("");
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "grandchild") == 1; }, 10s));
    const auto state = dir / ".corral";
    fs::path top;
    for (const auto& hierarchy : daemon_cgroup_tops(state)) {
        if (hierarchy.hierarchy == "cpu") top = hierarchy.top;
    }
    REQUIRE_FALSE(top.empty());
    const pid_t main = first(dir / "record", "start");
    const pid_t grandchild = first(dir / "record", "grandchild");
    for (const pid_t pid : {main, grandchild}) {
        CHECK(cgroup_of(pid, "memory").ends_with("/family/0"));
        CHECK(cgroup_of(pid, "cpu").ends_with("/" + top.filename().string()));
    }
    CHECK_FALSE(fs::exists(top / "family"));

    // Same command: the reload only writes limits, and the running processes move into the new group.
    write("cpu = { weight = 50 }");
    SocketClient client(state / "corral.sock");
    REQUIRE(client.request("reload")["ok"] == true);
    for (const pid_t pid : {main, grandchild}) {
        CAPTURE(pid);
        CHECK(cgroup_of(pid, "cpu").ends_with("/family/0"));
    }
    CHECK(read_trimmed(top / "family/0/cpu.shares") == "512");
    CHECK(count_records(dir / "record", "start") == 1);
    CHECK(corral.stop() == 0);
    for (const auto& hierarchy : daemon_cgroup_tops(state)) CHECK_FALSE(fs::exists(hierarchy.top));
}

TEST_CASE("a Node worker allocating past memory.max is killed by the kernel's OOM killer") {
    REQUIRE_HYBRID();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "200ms"

[services.hog]
command = ["node", "${fixture}"]
restart = "never"
env = { RECORD_FILE = "${record}" }
memory = { max = "256MiB" }
)", {{"fixture", fixture("hog.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "-> exited: killed by the kernel's OOM killer").empty(); }, 60s));
    const fs::path memory = daemon_cgroup_dir(dir / ".corral", "memory", "hog/0");
    const std::string oom = read_file(memory / "memory.oom_control");
    CAPTURE(oom);
    CHECK(oom.find("oom_kill 1") != std::string::npos);
    CHECK(std::stoull(read_trimmed(memory / "memory.max_usage_in_bytes")) >= 200ull << 20);
    CHECK(read_file(dir / ".corral/logs/hog-0.out.log").find("holding") != std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("memory accounting is sampled per instance into status.json") {
    REQUIRE_HYBRID();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
sample_interval = "100ms"

[services.idle]
command = ["node", "${fixture}"]
memory = { max = "512MiB" }
)", {{"fixture", fixture("idle.js")}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto has_memory = [&] {
        const auto status = status_of(dir / ".corral");
        return status.is_object() && status["instances"].size() == 1 && status["instances"][0]["memory"].is_object() &&
               status["instances"][0]["memory"]["current"].get<long long>() > (1 << 20);
    };
    REQUIRE(wait_until(has_memory, 10s));
    const auto instance = status_of(dir / ".corral")["instances"][0];
    CHECK(instance["service"] == "idle");
    CHECK(instance["state"] == "running");
    CHECK(instance["cgroup"] == "idle/0");
    CHECK(instance["memory"]["max"] == 512ll << 20);
    CHECK(instance["memory"]["peak"].get<long long>() >= instance["memory"]["current"].get<long long>());
    CHECK(instance["memory"]["anon"].get<long long>() > 0);
    CHECK(corral.stop() == 0);
}

TEST_CASE("stop kills a grandchild that left the process group through the cgroup") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", GRANDCHILD_SETSID = "1", GRANDCHILD_IGNORES_TERM = "1" }
stop = { timeout = "500ms" }
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "grandchild") == 1; }, 10s));
    const pid_t grandchild = first(dir / "record", "grandchild");
    CHECK(getsid(grandchild) == grandchild);
    CHECK(corral.stop() == 0);
    CHECK_FALSE(process_alive(grandchild));
    const auto log = dir / ".corral/corral.log";
    if (lines_containing(log, "hybrid cgroups").size() + lines_containing(log, "cgroup v2").size() > 0) {
        // With a cgroup the stop itself reached it, not the daemon's last sweep.
        CAPTURE(read_file(log));
        CHECK(lines_containing(log, "left its service's process group").empty());
    }
    CHECK(descendants_of(getpid()).empty());
}

TEST_CASE("after kill -9 of the daemon a new daemon on the same state directory cleans up what is left") {
    REQUIRE_HYBRID();
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.family]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", GRANDCHILD_SETSID = "1" }
)", {{"fixture", fixture("family.js")}, {"record", dir / "record"}}));
    const auto state = dir / ".corral";
    CorralProcess first_daemon(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "grandchild") == 1; }, 10s));
    const pid_t orphan = first(dir / "record", "grandchild");
    first_daemon.signal(SIGKILL);
    REQUIRE(first_daemon.wait(5s).has_value());
    // The service's main process died with the daemon (parent-death signal); its grandchild did not.
    REQUIRE(wait_until([&] { return !process_alive(first(dir / "record", "start")); }, 5s));
    REQUIRE(process_alive(orphan));
    CHECK(cgroup_of(orphan, "memory").ends_with("/family/0"));

    CorralProcess second(dir.path(), {"up"});
    const auto log = state / "corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "left 1 process(es) behind").empty(); }, 10s));
    CHECK(wait_until([&] { return !process_alive(orphan); }, 5s));
    CHECK(second.stop() == 0);
    for (const auto& top : daemon_cgroup_tops(state)) CHECK_FALSE(fs::exists(top.top));
}

TEST_CASE("cgroups = required with a cgroup root that does not exist refuses to start") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
cgroups = "required"
cgroup_root = "/nonexistent/cgroup"

[services.idle]
command = ["node", "${fixture}"]
)", {{"fixture", fixture("idle.js")}}));
    const auto result = run_corral(dir.path(), {"up"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("cgroups are required (cgroups = \"required\") but cannot be used: cannot use cgroups at "
                          "/nonexistent/cgroup: No such file or directory") != std::string::npos);
    CHECK(read_file(dir / ".corral/logs/idle-0.out.log").empty());
}

TEST_CASE("cgroups = auto without a usable cgroup root warns and runs the services without limits") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
cgroup_root = "/nonexistent/cgroup"

[services.idle]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}" }
memory = { max = "256MiB" }
)", {{"fixture", fixture("idle.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return read_records(dir / "record").size() == 1; }, 10s));
    const std::string err = corral.stderr_text();
    CHECK(err.find("cgroups are not available, services run without resource limits: cannot use cgroups at "
                   "/nonexistent/cgroup: No such file or directory") != std::string::npos);
    CHECK(err.find("idle: limits not applied: cgroups are not available on this host") != std::string::npos);
    const pid_t pid = read_records(dir / "record").front().pid;
    CHECK(cgroup_of(pid, "memory") == cgroup_of(getpid(), "memory"));
    CHECK(corral.stop() == 0);
}

TEST_CASE("cgroups = off uses process groups only") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[supervisor]
cgroups = "off"

[services.idle]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}" }
)", {{"fixture", fixture("idle.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return read_records(dir / "record").size() == 1; }, 10s));
    for (const auto& top : daemon_cgroup_tops(dir / ".corral")) CHECK_FALSE(fs::exists(top.top));
    CHECK(corral.stop() == 0);
}

TEST_CASE("a reload that changes only limits rewrites them live without a restart") {
    REQUIRE_HYBRID();
    TempDir dir;
    const char* file = R"(
[services.idle]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}" }
memory = { max = "${max}" }
)";
    dir.write("corral.toml", subst(file, {{"fixture", fixture("idle.js")}, {"record", dir / "record"}, {"max", "300MiB"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return read_records(dir / "record").size() == 1; }, 10s));
    const fs::path limit = daemon_cgroup_dir(dir / ".corral", "memory", "idle/0") / "memory.limit_in_bytes";
    CHECK(read_trimmed(limit) == "314572800");
    dir.write("corral.toml", subst(file, {{"fixture", fixture("idle.js")}, {"record", dir / "record"}, {"max", "400MiB"}}));
    corral.signal(SIGHUP);
    CHECK(wait_until([&] { return read_trimmed(limit) == "419430400"; }, 5s));
    CHECK(read_records(dir / "record").size() == 1);
    CHECK(corral.stop() == 0);
}
