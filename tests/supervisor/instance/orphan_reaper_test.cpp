// OrphanReaper::exiting tells a child that runs from one that has begun to exit: the daemon's last sweep
// warns only about the first kind.
#include <doctest/doctest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "supervisor/instance/orphan_reaper.hpp"
#include "tests/support/temp_dir.hpp"

using corral::supervisor::OrphanReaper;

TEST_CASE("orphan reaper: a running child is not exiting, a dead one is") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::alarm(30);
        ::pause();
        ::_exit(0);
    }
    CHECK_FALSE(OrphanReaper::exiting(child));
    ::kill(child, SIGKILL);
    // A zombie until waited for: listed among the children, but done.
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);
    CHECK(OrphanReaper::exiting(child));
    REQUIRE(::waitpid(child, nullptr, 0) == child);
    CHECK(OrphanReaper::exiting(child));
}

TEST_CASE("orphan reaper: a process whose name holds parentheses and spaces is read right") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::prctl(PR_SET_NAME, "x)0 0 0 0 0 0 4");  // read from the first ')', its flags would be 4: exiting
        ::alarm(30);
        ::pause();
        ::_exit(0);
    }
    // The name is set by the child itself: wait until /proc shows it.
    for (int i = 0; i < 1000 && corral::test::read_file("/proc/" + std::to_string(child) + "/comm").find(')') == std::string::npos; ++i) {
        ::usleep(1000);
    }
    CHECK_FALSE(OrphanReaper::exiting(child));
    ::kill(child, SIGKILL);
    REQUIRE(::waitpid(child, nullptr, 0) == child);
}
