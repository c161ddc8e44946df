// `corral up --attach` (and CORRAL_ATTACH=1) for containers: the programs' stdout lines on corral's stdout and
// their stderr lines on corral's stderr, "name#i | line", beside the daemon's own log lines on stderr.
#include <doctest/doctest.h>

#include <cstdlib>

#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string service_file() {
    return subst(R"(
[services.talk]
command = ["node", "${fixture}"]
env = { LINES = "4" }
)", {{"fixture", fixture("interleave.js")}});
}

}  // namespace

TEST_CASE("corral up --attach: stdout lines on stdout - stderr lines on stderr - the same plain prefix") {
    TempDir dir;
    dir.write("corral.toml", service_file());
    CorralProcess corral(dir.path(), {"up", "--attach"});
    REQUIRE(wait_until([&] { return has(read_file(dir / "corral.stdout"), "talk#0 | done\n"); }, 15s));
    CHECK(corral.stop() == 0);
    CHECK(read_file(dir / "corral.stdout") == "talk#0 | line 0\ntalk#0 | line 2\ntalk#0 | done\n");
    const std::string err = read_file(dir / "corral.stderr");
    CHECK(has(err, "talk#0 | line 1\n"));
    CHECK(has(err, "talk#0 | line 3\n"));
    CHECK(err.find("talk#0 | line 1\n") < err.find("talk#0 | line 3\n"));
    CHECK(has(err, "supervising 1 service(s)"));
}

TEST_CASE("CORRAL_ATTACH=1 attaches a foreground corral run without the flag") {
    TempDir dir;
    setenv("CORRAL_ATTACH", "1", 1);
    CorralProcess corral(dir.path(), {"run", "--name", "talk", "--restart", "never", "--", "env", "LINES=2", "EXIT_CODE=0", "node",
                                      fixture("interleave.js").string()});
    unsetenv("CORRAL_ATTACH");
    const auto status = corral.wait(20s);
    REQUIRE(status.has_value());
    CHECK(*status == 0);  // the wait status: exited with 0
    CHECK(read_file(dir / "corral.stdout") == "talk#0 | line 0\ntalk#0 | done\n");
    CHECK(has(read_file(dir / "corral.stderr"), "talk#0 | line 1\n"));
}

TEST_CASE("--attach with --detach or --quiet is a usage error") {
    TempDir dir;
    dir.write("corral.toml", service_file());
    for (const char* other : {"-d", "--quiet"}) {
        CAPTURE(other);
        const CommandResult result = run_corral(dir.path(), {"up", "--attach", other});
        CHECK(result.exit_code == 2);
        CHECK(has(result.err, "excludes"));
    }
}
