#include "supervisor/instance/log_file.hpp"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.hpp"

using corral::supervisor::LogFile;
using corral::test::read_file;
using corral::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("log file: appends and rotates before a write would pass max_size - keeping `keep` files") {
    TempDir dir;
    LogFile log(dir / "api-0.out.log", 10, 2);
    log.append("12345\n");
    log.append("abcd\n");  // 11 bytes would pass 10: rotate first
    CHECK(read_file(dir / "api-0.out.log") == "abcd\n");
    CHECK(read_file(dir / "api-0.out.log.1") == "12345\n");
    log.append("xyzxyz\n");
    log.append("last\n");
    CHECK(read_file(dir / "api-0.out.log") == "last\n");
    CHECK(read_file(dir / "api-0.out.log.1") == "xyzxyz\n");
    CHECK(read_file(dir / "api-0.out.log.2") == "abcd\n");
    CHECK_FALSE(fs::exists(dir / "api-0.out.log.3"));
}

TEST_CASE("log file: a batch of many lines is split between files at line boundaries") {
    TempDir dir;
    LogFile log(dir / "x.log", 8, 5);
    log.append("aaa\nbbb\nccc\nddd\ne\n");
    CHECK(read_file(dir / "x.log.2") == "aaa\nbbb\n");
    CHECK(read_file(dir / "x.log.1") == "ccc\nddd\n");
    CHECK(read_file(dir / "x.log") == "e\n");
}

TEST_CASE("log file: a line longer than max_size is written whole into a file of its own") {
    TempDir dir;
    LogFile log(dir / "x.log", 4, 2);
    log.append("a\n");
    log.append("0123456789\nb\n");
    CHECK(read_file(dir / "x.log.2") == "a\n");
    CHECK(read_file(dir / "x.log.1") == "0123456789\n");
    CHECK(read_file(dir / "x.log") == "b\n");
}

TEST_CASE("log file: keep = 0 truncates instead of rotating") {
    TempDir dir;
    LogFile log(dir / "x.log", 8, 0);
    log.append("1234567\n");
    log.append("next\n");
    CHECK(read_file(dir / "x.log") == "next\n");
    CHECK_FALSE(fs::exists(dir / "x.log.1"));
}

TEST_CASE("log file: continues an existing file and counts its size") {
    TempDir dir;
    dir.write("x.log", "123456\n");
    LogFile log(dir / "x.log", 10, 1);
    log.append("abc\n");
    CHECK(read_file(dir / "x.log") == "abc\n");
    CHECK(read_file(dir / "x.log.1") == "123456\n");
}

TEST_CASE("log file: an unwritable directory is reported - not fatal") {
    LogFile log("/nonexistent-corral-dir/x.log", 10, 1);
    log.append("lost\n");
    log.append("lost again\n");
    CHECK_FALSE(fs::exists("/nonexistent-corral-dir/x.log"));
}
