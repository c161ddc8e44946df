// The standby: the next incarnation of an instance waits in its cgroup, before its exec, and a restart
// starts it. Real daemon, real Node processes, real cgroups (the hybrid layout of this host).
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>
#include <vector>

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

std::vector<pid_t> pids_in(const fs::path& procs) {
    std::istringstream text(read_file(procs));
    std::vector<pid_t> pids;
    for (pid_t pid; text >> pid;) pids.push_back(pid);
    return pids;
}

// The process of the group that is not `running`: the standby (0 while there is none, or several).
pid_t standby_in(const fs::path& procs, pid_t running) {
    std::vector<pid_t> others = pids_in(procs);
    std::erase(others, running);
    return others.size() == 1 ? others.front() : 0;
}

std::string cmdline_of(pid_t pid) {
    std::string text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    std::replace(text.begin(), text.end(), '\0', ' ');
    return text;
}

pid_t nth_start(const fs::path& record, std::size_t n) {
    const auto starts = records_of(record, "start");
    return starts.size() > n ? starts[n].pid : 0;
}

}  // namespace

TEST_CASE("a crash restarts into the standby that waited in the instance's cgroups, and a new standby follows") {
    if (!hybrid_cgroups()) {
        MESSAGE("skipped: this host does not have the hybrid cgroup layout these checks read");
        return;
    }
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", EXIT_AFTER_MS = "60000" }
memory = { max = "256MiB" }
pids = { max = 32 }
backoff = { initial = "0ms" }
)", {{"fixture", fixture("crasher.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    const fs::path procs = daemon_cgroup_dir(state, "memory", "web/0") / "cgroup.procs";
    REQUIRE(wait_until([&] { return nth_start(dir / "record", 0) != 0; }, 10s));
    const pid_t first = nth_start(dir / "record", 0);
    REQUIRE(wait_until([&] { return standby_in(procs, first) != 0; }, 10s));
    const pid_t standby = standby_in(procs, first);
    CHECK(cmdline_of(standby).find("--standby-fd") != std::string::npos);
    for (const auto& top : daemon_cgroup_tops(state)) {
        CAPTURE(top.hierarchy);
        const auto path = own_cgroup_path(read_file("/proc/" + std::to_string(standby) + "/cgroup"), top.hierarchy);
        REQUIRE(path.has_value());
        // Without a CPU limit an instance has no cpu group of its own: it runs in the top group.
        CHECK(path->ends_with(top.hierarchy == "cpu" ? "/" + top.top.filename().string() : "/web/0"));
    }
    // The service's 32 pids, and one for the standby.
    CHECK(read_trimmed(daemon_cgroup_dir(state, "pids", "web/0") / "pids.max") == "33");

    REQUIRE(::kill(first, SIGKILL) == 0);  // a death corral did not cause: restarted at once
    REQUIRE(wait_until([&] { return nth_start(dir / "record", 1) != 0; }, 10s));
    CHECK(nth_start(dir / "record", 1) == standby);
    // Its output reaches the log: the descriptors were handed over.
    const auto out = state / "logs/web-0.out.log";
    CHECK(wait_until([&] { return read_file(out).find("crasher " + std::to_string(standby) + " up") != std::string::npos; }, 5s));
    REQUIRE(wait_until([&] { return standby_in(procs, standby) != 0; }, 10s));
    const pid_t next = standby_in(procs, standby);
    CHECK(next != first);
    CHECK(next != standby);
    CHECK(lines_containing(state / "corral.log", "web#0 [pid " + std::to_string(standby) + "]").size() > 0);

    // Stopped, the instance leaves nothing behind: the standby goes with it.
    SocketClient client(state / "corral.sock");
    REQUIRE(client.request("stop", {{"target", "web"}})["ok"] == true);
    CHECK(wait_until([&] { return pids_in(procs).empty(); }, 10s));
    CHECK(wait_until([&] { return !process_alive(next); }, 5s));
    CHECK(corral.stop() == 0);
}

TEST_CASE("a reload that changes the env drops the standby, standby = false has none, a dead standby is replaced by a plain start") {
    if (!hybrid_cgroups()) {
        MESSAGE("skipped: this host does not have the hybrid cgroup layout these checks read");
        return;
    }
    TempDir dir;
    const std::string service = R"(
[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", EXIT_AFTER_MS = "60000", FLAVOUR = "${flavour}" }
memory = { max = "256MiB" }
backoff = { initial = "0ms" }

[services.plain]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${plain}", EXIT_AFTER_MS = "60000" }
memory = { max = "256MiB" }
standby = false
)";
    auto write = [&](const std::string& flavour) {
        dir.write("corral.toml", subst(service, {{"fixture", fixture("crasher.js")},
                                                 {"record", dir / "record"},
                                                 {"plain", dir / "plain"},
                                                 {"flavour", flavour}}));
    };
    write("sweet");
    CorralProcess corral(dir.path(), {"up"});
    const auto state = dir / ".corral";
    const fs::path procs = daemon_cgroup_dir(state, "memory", "web/0") / "cgroup.procs";
    REQUIRE(wait_until([&] { return nth_start(dir / "record", 0) != 0 && nth_start(dir / "plain", 0) != 0; }, 10s));
    const pid_t first = nth_start(dir / "record", 0);
    REQUIRE(wait_until([&] { return standby_in(procs, first) != 0; }, 10s));
    const pid_t sweet = standby_in(procs, first);
    CHECK(read_file("/proc/" + std::to_string(sweet) + "/environ").find("FLAVOUR=sweet") != std::string::npos);

    // standby = false: the instance's group holds its process only.
    const fs::path plain_procs = daemon_cgroup_dir(state, "memory", "plain/0") / "cgroup.procs";
    std::this_thread::sleep_for(500ms);
    CHECK(pids_in(plain_procs) == std::vector<pid_t>{nth_start(dir / "plain", 0)});

    // The env changes: the instance rolls, its replacement (in a cgroup of its own) starts with a plain
    // start (the standby has the old env), the old one goes with its standby, and the replacement gets a new
    // standby with the new env.
    write("sour");
    corral.signal(SIGHUP);
    REQUIRE(wait_until([&] { return nth_start(dir / "record", 1) != 0; }, 10s));
    const pid_t second = nth_start(dir / "record", 1);
    CHECK(second != sweet);
    CHECK(wait_until([&] { return !process_alive(sweet); }, 5s));
    const fs::path rolled = daemon_cgroup_dir(state, "memory", "web/0.1") / "cgroup.procs";
    REQUIRE(wait_until([&] { return standby_in(rolled, second) != 0; }, 10s));
    const pid_t sour = standby_in(rolled, second);
    CHECK(read_file("/proc/" + std::to_string(sour) + "/environ").find("FLAVOUR=sour") != std::string::npos);

    // A standby killed from outside is forgotten: the next crash restarts with a plain start.
    REQUIRE(::kill(sour, SIGKILL) == 0);
    REQUIRE(wait_until([&] { return standby_in(rolled, second) == 0 && !process_alive(sour); }, 5s));
    REQUIRE(::kill(second, SIGKILL) == 0);
    REQUIRE(wait_until([&] { return nth_start(dir / "record", 2) != 0; }, 10s));
    CHECK(nth_start(dir / "record", 2) != sour);
    CHECK(corral.stop() == 0);
}
