// Restarts with real Node children: backoff timing, the start limit, restart policies, exec failures.
#include <doctest/doctest.h>

#include <thread>

#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

TEST_CASE("a crashing service is restarted after each configured backoff delay") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.crasher]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}", EXIT_AFTER_MS = "200" }
backoff = { initial = "300ms", factor = 2, max = "1200ms", reset_after = "1h" }
start_limit = { burst = 100, interval = "1m" }
)", {{"fixture", fixture("crasher.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") >= 5; }, 20s));
    CHECK(corral.stop() == 0);

    const auto starts = records_of(dir / "record", "start");
    const auto exits = records_of(dir / "record", "exit");
    REQUIRE(exits.size() >= 4);
    const long long expected[] = {300, 600, 1200, 1200};
    for (int i = 0; i < 4; ++i) {
        const long long gap = starts[i + 1].ms - exits[i].ms;
        CAPTURE(i);
        CAPTURE(gap);
        CHECK(gap >= expected[i]);
        CHECK(gap < expected[i] + 1000);  // node's own start-up is in there
    }
    const auto log = dir / ".corral/corral.log";
    CHECK(lines_containing(log, "crasher#0 [pid " + std::to_string(starts[0].pid) +
                                    "]: running -> backoff: exited with code 1 after")
              .size() == 1);
    CHECK(lines_containing(log, "restarting in 300ms").size() == 1);
    CHECK(lines_containing(log, "restarting in 600ms").size() == 1);
    CHECK(lines_containing(log, "restarting in 1.2s").size() >= 2);
}

TEST_CASE("a crash loop puts the instance in state failed after start_limit.burst restarts") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.loop]
command = ["node", "${fixture}"]
env = { RECORD_FILE = "${record}" }
backoff = { initial = "0ms" }
start_limit = { burst = 3, interval = "30s" }
)", {{"fixture", fixture("crasher.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "-> failed").empty(); }, 20s));
    CHECK(count_records(dir / "record", "start") == 4);  // the first start and 3 restarts
    CHECK(lines_containing(log, "loop#0").size() > 0);
    CHECK(lines_containing(log, "running -> failed: exited with code 1 after").size() +
              lines_containing(log, "starting -> failed: exited with code 1 after").size() ==
          1);
    CHECK(lines_containing(log, "3 restarts within 30.0s already (start_limit): giving up").size() == 1);
    // It stays down.
    std::this_thread::sleep_for(1s);
    CHECK(count_records(dir / "record", "start") == 4);
    CHECK(corral.stop() == 0);
}

TEST_CASE("restart = on-failure: exit code 0 stays down - a non-zero code is restarted") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.clean]
command = ["node", "${fixture}"]
restart = "on-failure"
env = { RECORD_FILE = "${clean}", EXIT_CODE = "0" }

[services.dirty]
command = ["node", "${fixture}"]
restart = "on-failure"
backoff = { initial = "50ms" }
env = { RECORD_FILE = "${dirty}", EXIT_CODE = "2", EXIT_AFTER_MS = "100" }
)", {{"fixture", fixture("crasher.js")}, {"clean", dir / "clean"}, {"dirty", dir / "dirty"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return count_records(dir / "dirty", "start") >= 3; }, 20s));
    REQUIRE(wait_until([&] { return !lines_containing(log, "clean#0").empty() &&
                                    !lines_containing(log, "-> exited").empty(); }, 10s));
    CHECK(count_records(dir / "clean", "start") == 1);
    CHECK(lines_containing(log, "clean#0").size() > 0);
    CHECK(lines_containing(log, "exited with code 0 after").size() == 1);
    CHECK(lines_containing(log, "restart = \"on-failure\": not restarting").size() == 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("restart = never: a failing service is not restarted") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.once]
command = ["node", "${fixture}"]
restart = "never"
env = { RECORD_FILE = "${record}", EXIT_CODE = "7" }
)", {{"fixture", fixture("crasher.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "-> exited: exited with code 7").empty(); }, 10s));
    std::this_thread::sleep_for(500ms);
    CHECK(count_records(dir / "record", "start") == 1);
    CHECK(corral.stop() == 0);
}

TEST_CASE("restart = always restarts clean exits too") {
    TempDir dir;
    dir.write("corral.toml", subst(R"(
[services.job]
command = ["node", "${fixture}"]
backoff = { initial = "10ms" }
env = { RECORD_FILE = "${record}", EXIT_CODE = "0" }
)", {{"fixture", fixture("crasher.js")}, {"record", dir / "record"}}));
    CorralProcess corral(dir.path(), {"up"});
    CHECK(wait_until([&] { return count_records(dir / "record", "start") >= 3; }, 10s));
    CHECK(corral.stop() == 0);
}

TEST_CASE("a program that cannot be executed is reported - retried - and gives up at the start limit") {
    TempDir dir;
    dir.write("corral.toml", R"(
[services.typo]
command = ["nodee-does-not-exist", "app.js"]
backoff = { initial = "10ms" }
start_limit = { burst = 2, interval = "10s" }
)");
    CorralProcess corral(dir.path(), {"up"});
    const auto log = dir / ".corral/corral.log";
    REQUIRE(wait_until([&] { return !lines_containing(log, "-> failed").empty(); }, 10s));
    CHECK(lines_containing(log, "typo#0: cannot execute \"nodee-does-not-exist\": No such file or directory").size() == 3);
    CHECK(lines_containing(log, "exited with code 127").size() == 3);
    CHECK(read_file(dir / ".corral/logs/typo-0.err.log").find("corral: cannot execute \"nodee-does-not-exist\"") !=
          std::string::npos);
    CHECK(corral.stop() == 0);
}

TEST_CASE("a service gets its env - CORRAL_SERVICE - CORRAL_INSTANCE and its cwd - instances are numbered from 0") {
    TempDir dir;
    std::filesystem::create_directories(dir / "work");
    dir.write("corral.toml", subst(R"(
[services.web]
command = ["node", "${fixture}"]
cwd = "work"
instances = 2
env = { GREETING = "hello world", PORT = 3000 }
)", {{"fixture", fixture("env.js")}}));
    setenv("NODE_CHANNEL_FD", "3", 1);  // inherited by the daemon; must not reach the service
    CorralProcess corral(dir.path(), {"up"});
    unsetenv("NODE_CHANNEL_FD");
    const auto out0 = dir / ".corral/logs/web-0.out.log";
    const auto out1 = dir / ".corral/logs/web-1.out.log";
    REQUIRE(wait_until([&] { return read_file(out0).find("cwd=") != std::string::npos &&
                                    read_file(out1).find("cwd=") != std::string::npos; }, 10s));
    const std::string work = std::filesystem::canonical(dir / "work").string();
    CHECK(read_file(out0) == "CORRAL_SERVICE=web\nCORRAL_INSTANCE=0\nGREETING=hello world\nPORT=3000\n"
                             "NODE_CHANNEL_FD=<unset>\ncwd=" + work + "\n");
    CHECK(read_file(out1).find("CORRAL_INSTANCE=1\n") != std::string::npos);
    CHECK(corral.stop() == 0);
}
