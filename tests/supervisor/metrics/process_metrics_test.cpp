// The daemon's process metrics from /proc/<pid>/stat, and from this very process.
#include <doctest/doctest.h>
#include <unistd.h>

#include "supervisor/metrics/process_metrics.hpp"

using corral::metrics::Exposition;
using corral::metrics::ProcessFigures;
using corral::metrics::parse_proc_stat;

TEST_CASE("a stat line: CPU from utime and stime, start time after boot, sizes - a command with spaces and ')'") {
    // Fields 3..24 after the command: utime 14 = 150, stime 15 = 50, starttime 22 = 1000, vsize 23, rss 24 pages.
    const std::string stat =
        "4242 (corral (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 1000 123456789 2048 "
        "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
    const ProcessFigures figures = parse_proc_stat(stat, 100, 4096, 1'700'000'000);
    REQUIRE(figures.cpu_seconds);
    CHECK(*figures.cpu_seconds == doctest::Approx(2.0));
    REQUIRE(figures.start_time_seconds);
    CHECK(*figures.start_time_seconds == doctest::Approx(1'700'000'010.0));
    CHECK(figures.virtual_bytes == 123456789u);
    CHECK(figures.resident_bytes == 2048u * 4096u);
}

TEST_CASE("a stat line that cannot be read gives no figures rather than zeros") {
    const ProcessFigures figures = parse_proc_stat("garbage", 100, 4096, 1);
    CHECK(!figures.cpu_seconds);
    CHECK(!figures.resident_bytes);
    CHECK(!parse_proc_stat("1 (x) S 1 2", 100, 4096, 1).virtual_bytes);
}

TEST_CASE("this process: every figure is there, and the families are Prometheus' standard ones") {
    const ProcessFigures own = corral::metrics::read_own_process();
    REQUIRE(own.resident_bytes);
    CHECK(*own.resident_bytes > 0);
    REQUIRE(own.open_fds);
    CHECK(*own.open_fds >= 3);
    CHECK(own.max_fds);
    CHECK(own.cpu_seconds);
    REQUIRE(own.start_time_seconds);
    CHECK(*own.start_time_seconds > 1'600'000'000);
    Exposition exposition;
    corral::metrics::add_process_metrics(exposition, own);
    const std::string text = exposition.text();
    for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
                             "process_open_fds ", "process_max_fds ", "process_start_time_seconds "}) {
        CHECK_MESSAGE(text.find(std::string("\n") + name) != std::string::npos, name);
    }
    CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
}
