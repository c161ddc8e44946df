// Files other processes read: written atomically; log tails.
#include "base/file_text.hpp"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.hpp"

using namespace corral;
using corral::test::read_file;
using corral::test::TempDir;

TEST_CASE("atomic writes replace the whole file and leave no temporary file behind") {
    TempDir dir;
    dir.write("status.json", "old and longer\n");
    REQUIRE(write_file_atomically(dir / "status.json", "new\n").ok());
    CHECK(read_file(dir / "status.json") == "new\n");
    CHECK_FALSE(std::filesystem::exists(dir / "status.json.tmp"));
}

TEST_CASE("an atomic write into a missing directory says where it failed") {
    TempDir dir;
    const Status written = write_file_atomically(dir / "missing" / "status.json", "x");
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().message().find("missing/status.json.tmp") != std::string::npos);
}

TEST_CASE("log tails reach into the rotated file when the live one is short") {
    TempDir dir;
    dir.write("a.log.1", "old 1\nold 2\nold 3\n");
    dir.write("a.log", "new 1\n");
    CHECK(tail_lines(dir / "a.log", 3) == "old 2\nold 3\nnew 1\n");
    CHECK(tail_lines(dir / "a.log", 1) == "new 1\n");
    CHECK(tail_lines(dir / "missing.log", 3).empty());
}
