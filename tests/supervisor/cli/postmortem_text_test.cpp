// The words and formats of `corral postmortem`: sizes, times, reasons, and program output made safe.
#include "supervisor/cli/postmortem_text.hpp"

#include <doctest/doctest.h>

using namespace corral::supervisor::cli;

TEST_CASE("postmortem text: times in UTC") {
    CHECK(format_timestamp("2026-11-25T13:15:00.123Z") == "2026-11-25 13:15:00.123 UTC");
    CHECK(format_timestamp("yesterday") == "yesterday");
    BundleInfo info;
    info.time = "20261125T131500.123Z";
    CHECK(format_when(info) == "11-25 13:15");
    info.ended_at = "2026-11-26T01:02:03.000Z";
    CHECK(format_when(info) == "11-26 01:02");
}

TEST_CASE("postmortem text: reasons in words with the exit") {
    BundleInfo info;
    info.reason = "oom-kill";
    CHECK(reason_words(info) == "killed by the kernel's OOM killer (memory cgroup out of memory)");
    info.reason = "signal";
    info.exit_signal = "SIGSEGV";
    CHECK(reason_words(info) == "killed by SIGSEGV");
    CHECK(exit_text(info) == "SIGSEGV");
    info = BundleInfo{};
    info.reason = "exit-code";
    info.exit_code = 3;
    CHECK(reason_words(info) == "exited by itself with code 3");
    CHECK(exit_text(info) == "3");
    info.reason = "from-the-future";
    CHECK(reason_words(info) == "an unknown reason");
    CHECK(exit_text(BundleInfo{}) == "-");
}

TEST_CASE("postmortem text: colors only when asked") {
    BundleInfo info;
    info.reason = "oom-kill";
    CHECK(Style{false}.reason(info) == "oom-kill");
    CHECK(Style{true}.reason(info) == "\x1b[31moom-kill\x1b[0m");
    CHECK(Style{false}.chart_line("64 ┤╌█ memory.max") == "64 ┤╌█ memory.max");
    CHECK(Style{true}.chart_line("64 ┤╌█ memory.max") == "64 ┤\x1b[31m╌\x1b[0m\x1b[36m█\x1b[0m\x1b[31m memory.max\x1b[0m");
}

TEST_CASE("postmortem text: wrapping and cutting") {
    CHECK(wrap("aaa bbb ccc", 10, 2) == "aaa bbb\n  ccc");
    CHECK(wrap("short", 80, 13) == "short");
    CHECK(wrap("averyveryverylongword x", 10, 2) == "averyveryverylongword\n  x");
    CHECK(fit_width("hello", 5) == "hello");
    CHECK(fit_width("hello world", 6) == "hello…");
    CHECK(fit_width("█████", 3) == "██…");
}

TEST_CASE("postmortem text: program output loses its escape sequences") {
    CHECK(clean_line("\x1b[33mslow\x1b[0m query") == "slow query");
    CHECK(clean_line("a\tb") == "a    b");
    CHECK(clean_line("bell\a and \x7f") == "bell? and ?");
    CHECK(clean_line("café ✓") == "café ✓");
}
