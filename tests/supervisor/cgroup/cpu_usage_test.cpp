// cpu.stat's usage_usec, as the kernel writes it, and read from an open file at every sample.
#include <doctest/doctest.h>

#include <fstream>

#include "supervisor/cgroup/cpu_usage.hpp"
#include "tests/support/temp_dir.hpp"

using namespace corral::supervisor::cgroup;

TEST_CASE("cpu usage: usage_usec of cpu.stat") {
    CHECK(parse_usage_usec("usage_usec 48664566049\nuser_usec 40457388702\nsystem_usec 8207177347\n") ==
          48664566049ull);
    CHECK(parse_usage_usec("nr_periods 3\nusage_usec 12\n") == 12u);  // wherever it is
    CHECK(parse_usage_usec("usage_usec 7") == 7u);                    // without a final newline
    CHECK_FALSE(parse_usage_usec("").has_value());
    CHECK_FALSE(parse_usage_usec("user_usec 5\nsystem_usec 6\n").has_value());
    CHECK_FALSE(parse_usage_usec("usage_usec x\n").has_value());
    CHECK_FALSE(parse_usage_usec("xusage_usec 5\n").has_value());
}

TEST_CASE("cpu usage: the counter reads the file again at each read, and says what is wrong") {
    corral::test::TempDir dir;
    dir.write("cpu.stat", "usage_usec 100\nuser_usec 60\nsystem_usec 40\n");
    auto counter = CpuUsageCounter::open(dir / "cpu.stat");
    REQUIRE(counter);
    CHECK(*counter->read_usec() == 100u);
    // Rewritten in place, as the kernel regenerates it (a new file would be another inode).
    { std::ofstream(dir / "cpu.stat", std::ios::in | std::ios::out) << "usage_usec 250\n"; }
    CHECK(*counter->read_usec() == 250u);
    { std::ofstream(dir / "cpu.stat", std::ios::trunc) << "nothing here\n"; }
    CHECK_FALSE(counter->read_usec());
    CHECK_FALSE(CpuUsageCounter::open(""));
    CHECK_FALSE(CpuUsageCounter::open(dir / "missing"));
}
