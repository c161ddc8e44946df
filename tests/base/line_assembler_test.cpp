#include "base/line_assembler.hpp"

#include <doctest/doctest.h>

#include <regex>

using corral::append_utc_timestamp;
using corral::LineAssembler;

TEST_CASE("line assembler: whole lines pass - partial lines are joined across chunks") {
    LineAssembler lines;
    std::string out;
    lines.feed("one\ntw", out);
    CHECK(out == "one\n");
    CHECK(lines.pending() == 2);
    lines.feed("o\nthr", out);
    lines.feed("ee", out);
    CHECK(out == "one\ntwo\n");
    lines.feed("\n\n", out);
    CHECK(out == "one\ntwo\nthree\n\n");
    CHECK(lines.pending() == 0);
}

TEST_CASE("line assembler: a partial line at EOF gets its newline") {
    LineAssembler lines;
    std::string out;
    lines.feed("no newline", out);
    CHECK(out.empty());
    lines.finish(out);
    CHECK(out == "no newline\n");
    lines.finish(out);
    CHECK(out == "no newline\n");
}

TEST_CASE("line assembler: an endless line is cut at max_line - so memory stays bounded") {
    LineAssembler lines(8);
    std::string out;
    lines.feed("abcdefghijkl", out);
    CHECK(out == "abcdefgh\n");
    CHECK(lines.pending() == 4);
    lines.feed("mnop", out);
    CHECK(out == "abcdefgh\nijklmnop\n");
    lines.feed("qr\n", out);
    CHECK(out == "abcdefgh\nijklmnop\nqr\n");
    out.clear();
    lines.feed("12345678\n", out);  // exactly max_line before the newline
    CHECK(out == "12345678\n");
    for (int i = 0; i < 1000; ++i) lines.feed("xxxxxxxxxxxxxxxxxxxxxxxx", out);
    CHECK(lines.pending() <= 8);
}

TEST_CASE("line assembler: timestamps prefix every line") {
    LineAssembler lines(1024, append_utc_timestamp);
    std::string out;
    lines.feed("a\nb\n", out);
    const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z a\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z b\n)");
    CHECK(std::regex_match(out, line));
}
