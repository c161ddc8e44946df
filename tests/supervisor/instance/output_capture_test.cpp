#include "supervisor/instance/output_capture.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "base/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uv_loop.hpp"

using corral::UniqueFd;
using corral::supervisor::LogFile;
using corral::supervisor::OutputCapture;
using corral::test::Loop;
using corral::test::read_file;
using corral::test::run_until;
using corral::test::TempDir;
using namespace std::chrono_literals;

namespace {

struct Seen {
    int closed = 0;
    int batches = 0;
    std::string lines;
};

void on_closed(void* seen) { ++static_cast<Seen*>(seen)->closed; }

void on_lines(void* context, std::string_view lines) {
    auto* seen = static_cast<Seen*>(context);
    ++seen->batches;
    seen->lines += lines;
}

void write_text(const UniqueFd& fd, std::string_view text) {
    REQUIRE(::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

// A capture reading the read end of a real pipe into a log file; the test holds the write end.
struct Case {
    TempDir dir;
    Loop loop;
    LogFile log{dir / "api-0.out.log", 1 << 20, 1};
    Seen seen;
    OutputCapture capture;
    UniqueFd writer;

    explicit Case(bool timestamps) : capture(loop.get(), log, timestamps, on_closed, &seen) {
        capture.set_line_hook(on_lines);
        uv_file fds[2];
        REQUIRE(uv_pipe(fds, 0, 0) == 0);
        writer.reset(fds[1]);
        REQUIRE(uv_pipe_open(capture.pipe(), fds[0]) == 0);
        capture.start();
    }
    // The writer closes; the loop runs until the capture has read everything and closed its pipe.
    void finish() {
        writer.reset();
        uv_run(loop.get(), UV_RUN_DEFAULT);
    }
};

}  // namespace

TEST_CASE("output capture: lines reach the log and the hook - a partial last line is flushed at EOF - closed once") {
    Case c(false);
    write_text(c.writer, "one\ntw");
    CHECK(run_until(c.loop.get(), [&] { return c.seen.lines == "one\n"; }, 5s));
    CHECK(read_file(c.log.path()) == "one\n");
    write_text(c.writer, "o\nthree");
    c.finish();

    CHECK(c.seen.closed == 1);
    CHECK(c.seen.batches == 3);
    CHECK(c.seen.lines == "one\ntwo\nthree\n");
    CHECK(read_file(c.log.path()) == "one\ntwo\nthree\n");
    CHECK(c.capture.closed());
    CHECK(c.loop.close() == 0);
}

TEST_CASE("output capture: with timestamps every line starts with its UTC arrival time, in the log and the hook") {
    Case c(true);
    write_text(c.writer, "first\nsecond\n");
    c.finish();

    CHECK(c.seen.closed == 1);
    CHECK(read_file(c.log.path()) == c.seen.lines);
    // "2026-11-25T12:00:01.123Z first\n"
    const std::string& text = c.seen.lines;
    REQUIRE(text.size() == 2 * 25 + std::string_view("first\nsecond\n").size());
    CHECK(text.substr(25, 6) == "first\n");
    CHECK(text.substr(31 + 25) == "second\n");
    for (const std::size_t start : {std::size_t{0}, std::size_t{31}}) {
        CHECK(text[start + 4] == '-');
        CHECK(text[start + 10] == 'T');
        CHECK(text.substr(start + 23, 2) == "Z ");
    }
    CHECK(c.loop.close() == 0);
}

TEST_CASE("output capture: a stream that ends without a byte closes once and writes nothing") {
    Case c(false);
    c.finish();

    CHECK(c.seen.closed == 1);
    CHECK(c.seen.batches == 0);
    CHECK(read_file(c.log.path()).empty());
    CHECK(c.loop.close() == 0);
}
