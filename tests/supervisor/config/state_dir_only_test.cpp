// The state directory read alone, for the client commands: a file with errors still has one.
#include "supervisor/config/state_dir_only.hpp"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.hpp"

using corral::config::read_state_dir_only;
using corral::test::TempDir;

TEST_CASE("state_dir is read alone: errors elsewhere in the file do not matter") {
    TempDir dir;
    const auto file = dir.write("corral.toml", "[supervisor]\nstate_dir = \"run/state\"\nsample_interval = 7\n"
                                               "[services.web]\ncommand = 12\nbogus = true\n");
    CHECK(read_state_dir_only(file) == dir / "run/state");
}

TEST_CASE("without state_dir (or with one that is not a string) it is .corral beside the file") {
    TempDir dir;
    CHECK(read_state_dir_only(dir.write("a.toml", "[services.web]\ncommand = [\"node\"]\n")) == dir / ".corral");
    CHECK(read_state_dir_only(dir.write("b.toml", "[supervisor]\nstate_dir = 3\n")) == dir / ".corral");
    CHECK(read_state_dir_only(dir.write("c.toml", "[supervisor]\nstate_dir = \"/abs/state\"\n")) == "/abs/state");
}

TEST_CASE("a file that is not TOML, or cannot be read, has no state directory") {
    TempDir dir;
    CHECK_FALSE(read_state_dir_only(dir.write("broken.toml", "[supervisor\nstate_dir = \"x\"\n")));
    CHECK_FALSE(read_state_dir_only(dir / "missing.toml"));
}
