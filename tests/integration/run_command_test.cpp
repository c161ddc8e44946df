// `corral run`: supervision of one command without a service file.
#include <doctest/doctest.h>
#include <stdlib.h>

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
