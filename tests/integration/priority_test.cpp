// The daemon runs a few nice levels above where it was started (the broker must not wait for the CPU
// behind the host's other work) and does not preempt the workers that wake it; its services get the
// level and policy it was started with back, standbys included.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <string>

#include "base/priority.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

// Field 19 of /proc/PID/stat; 100 when it cannot be read.
int nice_of(pid_t pid) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return 100;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
        if (i == 19) return std::stoi(field);
    }
    return 100;
}

// One service that stays up for a minute and records its start.
void write_web(TempDir& dir) {
    dir.write("corral.toml", subst(R"(
[services.web]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", EXIT_AFTER_MS = "60000" }
)", {{"fixture", fixture("crasher.js")}, {"record", dir / "record"}}));
}

}  // namespace

TEST_CASE("the daemon runs above the nice level it was started with, and its services get that level back") {
    errno = 0;
    const int own = ::getpriority(PRIO_PROCESS, 0);
    REQUIRE(errno == 0);
    TempDir dir;
    write_web(dir);
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") == 1; }, 10s));
    if (::geteuid() == 0) CHECK(nice_of(corral.pid()) == std::max(-20, own - corral::kDaemonNiceBoost));
    const pid_t service = records_of(dir / "record", "start").front().pid;
    CHECK(nice_of(service) == own);
    for (const pid_t pid : descendants_of(corral.pid())) {
        CAPTURE(pid);
        CHECK(nice_of(pid) == own);  // the standby too
    }
    CHECK(corral.stop() == 0);
}

TEST_CASE("the daemon does not preempt the workers that wake it (SCHED_BATCH), and its services run SCHED_OTHER") {
    REQUIRE(::sched_getscheduler(0) == SCHED_OTHER);
    TempDir dir;
    write_web(dir);
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") == 1; }, 10s));
    CHECK(::sched_getscheduler(corral.pid()) == SCHED_BATCH);
    const pid_t service = records_of(dir / "record", "start").front().pid;
    CHECK(::sched_getscheduler(service) == SCHED_OTHER);
    for (const pid_t pid : descendants_of(corral.pid())) {
        CAPTURE(pid);
        CHECK(::sched_getscheduler(pid) == SCHED_OTHER);  // the standby too
    }
    CHECK(corral.stop() == 0);
}

TEST_CASE("a daemon started under another policy keeps it, and so do its services") {
    TempDir dir;
    write_web(dir);
    // SCHED_IDLE for this test process while the daemon is forked, then back.
    const sched_param param{};
    REQUIRE(::sched_setscheduler(0, SCHED_IDLE, &param) == 0);
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(::sched_setscheduler(0, SCHED_OTHER, &param) == 0);
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") == 1; }, 10s));
    CHECK(::sched_getscheduler(corral.pid()) == SCHED_IDLE);
    CHECK(::sched_getscheduler(records_of(dir / "record", "start").front().pid) == SCHED_IDLE);
    CHECK(corral.stop() == 0);
}
