// `corral up` with a bad service file: every error with its position on stderr, exit 2, nothing started.
#include <doctest/doctest.h>

#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::test;

TEST_CASE("corral up with a bad file exits 2 with FILE:LINE:COL messages and starts nothing") {
    TempDir dir;
    dir.write("bad.toml", R"([services.api]
command = ["node", "server.js"]
restrat = "always"
instances = 0
)");
    const auto result = run_corral(dir.path(), {"up", "bad.toml"});
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "bad.toml:3:1: unknown key \"restrat\" in [services.api] (did you mean \"restart\"?)\n"
          "bad.toml:4:13: invalid value for services.api.instances (expected an integer from 1 to 1024, got integer 0)\n"
          "corral: 2 error(s) in bad.toml; nothing was started\n");
    CHECK_FALSE(std::filesystem::exists(dir / ".corral"));
}

TEST_CASE("corral up without a file says which file it looked for") {
    TempDir dir;
    const auto result = run_corral(dir.path(), {"up"});
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "corral.toml: cannot read the service file: No such file or directory\n"
          "corral: 1 error(s) in corral.toml; nothing was started\n");
}

TEST_CASE("corral up with a TOML syntax error points at it") {
    TempDir dir;
    dir.write("corral.toml", "[services.api]\ncommand = [\"node\"\n");
    const auto result = run_corral(dir.path(), {"up"});
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "corral.toml:2:19: Error while parsing array: encountered end-of-file\n"
          "corral: 1 error(s) in corral.toml; nothing was started\n");
}
