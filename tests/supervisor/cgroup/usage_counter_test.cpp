// The cheap memory counter kept open: every read sees the file's contents now, from its start.
#include "supervisor/cgroup/usage_counter.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::cgroup;
using corral::Result;
using corral::test::TempDir;

TEST_CASE("a usage counter reads the number its file holds at each read") {
    TempDir dir;
    const auto file = dir.write("memory.current", "4096\n");
    Result<UsageCounter> counter = UsageCounter::open(file);
    REQUIRE(counter);
    CHECK(*counter->read() == 4096u);
    // Rewritten in place, as the kernel regenerates the text: the kept descriptor sees the new value.
    std::ofstream(file, std::ios::in | std::ios::out) << "123456789\n";
    CHECK(*counter->read() == 123456789u);
    CHECK(*counter->read() == 123456789u);
}

TEST_CASE("a usage counter that cannot be opened or parsed says which file") {
    TempDir dir;
    Result<UsageCounter> missing = UsageCounter::open(dir / "nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("nope") != std::string::npos);
    CHECK_FALSE(UsageCounter::open(""));

    Result<UsageCounter> bad = UsageCounter::open(dir.write("memory.current", "max\n"));
    REQUIRE(bad);
    Result<std::uint64_t> value = bad->read();
    REQUIRE_FALSE(value);
    CHECK(value.error().message().find("memory.current") != std::string::npos);
}
