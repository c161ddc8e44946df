// `corral run`: supervision of one command without a service file.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <csignal>
#include <filesystem>

#include "tests/support/processes.hpp"
#include "tests/support/records.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::test;

TEST_CASE("corral run supervises a command with --name and --instances - logs under ./.corral") {
    TempDir dir;
    setenv("RECORD_FILE", (dir / "record").c_str(), 1);
    CorralProcess corral(dir.path(), {"run", "--name", "web", "--instances", "2", "--", "node",
                                      fixture("idle.js").string()});
    unsetenv("RECORD_FILE");
    REQUIRE(wait_until([&] { return read_records(dir / "record").size() == 2; }, 10s));
    CHECK(count_records(dir / "record", "web#0") == 1);
    CHECK(count_records(dir / "record", "web#1") == 1);
    CHECK(std::filesystem::exists(dir / ".corral/logs/web-1.out.log"));
    CHECK(corral.stop() == 0);
}

TEST_CASE("corral run names the service after what the command runs and restarts it") {
    TempDir dir;
    setenv("RECORD_FILE", (dir / "record").c_str(), 1);
    CorralProcess corral(dir.path(), {"run", "node", fixture("crasher.js").string()});
    unsetenv("RECORD_FILE");
    REQUIRE(wait_until([&] { return count_records(dir / "record", "start") >= 2; }, 10s));
    CHECK(lines_containing(dir / ".corral/corral.log", "crasher#0").size() > 0);
    CHECK(corral.stop() == 0);
}

TEST_CASE("corral run: usage errors exit 2") {
    TempDir dir;
    const auto no_command = run_corral(dir.path(), {"run"});
    CHECK(no_command.exit_code == 2);
    CHECK(no_command.err == "corral run: no command given (usage: corral run [options] -- CMD ARGS...)\n");
    const auto bad_restart = run_corral(dir.path(), {"run", "--restart", "sometimes", "--", "node"});
    CHECK(bad_restart.exit_code == 2);
    CHECK(bad_restart.err == "corral run: --restart must be always, on-failure or never (got \"sometimes\")\n");
    const auto bad_name = run_corral(dir.path(), {"run", "--name", "a/b", "--", "node"});
    CHECK(bad_name.exit_code == 2);
    CHECK(bad_name.err.find("corral run: invalid --name \"a/b\"") == 0);
    const auto unknown = run_corral(dir.path(), {"frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(dir / ".corral"));
}

TEST_CASE("foreground corral run exits with its program's code once it is done for good") {
    TempDir dir;
    const auto three = run_corral(dir.path(), {"run", "--restart", "never", "--", "node", "-e", "process.exit(3)"});
    CHECK(three.exit_code == 3);
    CHECK(three.err.find("every instance is done for good (exit code 3)") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / ".corral/corral.sock"));  // stopped like shutdown

    const auto clean = run_corral(dir.path(), {"run", "--restart", "on-failure", "--", "node", "-e", "0"});
    CHECK(clean.exit_code == 0);
    CHECK(clean.err.find("done for good (exit code 0)") != std::string::npos);
}

TEST_CASE("foreground corral run: a program killed by signal N exits 128+N") {
    TempDir dir;
    const auto killed = run_corral(dir.path(), {"run", "--restart", "never", "--", "node", "-e",
                                                "process.kill(process.pid, 'SIGKILL')"});
    CHECK(killed.exit_code == 128 + SIGKILL);
}

TEST_CASE("foreground corral run: the start limit failing the program ends the run with its code") {
    TempDir dir;
    // restart = always (the default): five quick restarts, then the start limit puts it in failed.
    const auto failed = run_corral(dir.path(), {"run", "--", "node", "-e", "process.exit(4)"}, 30s);
    CHECK(failed.exit_code == 4);
    CHECK(failed.err.find("done for good (exit code 4)") != std::string::npos);
}

TEST_CASE("foreground corral run --instances 2 exits once both are done - the first non-zero code wins") {
    TempDir dir;
    const auto both = run_corral(dir.path(), {"run", "--instances", "2", "--restart", "never", "--", "node", "-e",
                                              "setTimeout(() => process.exit(0), 100)"});
    CHECK(both.exit_code == 0);
    const auto record = dir / "record";
    const auto one_fails = run_corral(
        dir.path(), {"run", "--name", "pair", "--instances", "2", "--restart", "never", "--", "sh", "-c",
                     "if mkdir " + record.string() + " 2>/dev/null; then exit 0; else sleep 0.3; exit 6; fi"});
    CHECK(one_fails.exit_code == 6);
}
