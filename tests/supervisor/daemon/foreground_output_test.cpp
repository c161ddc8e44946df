// The programs' lines on a foreground daemon's stdout: prefixes, and a reader that does not keep up.
#include "supervisor/daemon/foreground_output.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <regex>
#include <string>

using corral::supervisor::ForegroundOutput;

namespace {

std::string read_all(int fd) {
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    return text;
}

}  // namespace

TEST_CASE("foreground output: prefixed lines - names padded - stderr marked with '!'") {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    {
        ForegroundOutput output(fds[1], false);
        output.lines("web#0", "out", "hello\nworld\n");
        output.lines("worker#12", "err", "oops\n");
        output.lines("web#0", "out", "again\n");
    }
    close(fds[1]);
    CHECK(read_all(fds[0]) == "web#0 | hello\nweb#0 | world\nworker#12 ! oops\nweb#0     | again\n");
    close(fds[0]);
}

TEST_CASE("foreground output: a full buffer drops lines and says how many where they were") {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    fcntl(fds[1], F_SETPIPE_SZ, 4096);
    std::optional<ForegroundOutput> output(std::in_place, fds[1], false, 64);
    // The writer blocks on the full pipe; `lines` never does.
    const std::string line(40, 'x');
    for (int i = 0; i < 2000; ++i) output->lines("a#0", "out", line + "\n");
    std::string text;
    {
        // Read everything while the destructor writes what is left (and the marker).
        int reader = fds[0];
        std::string* into = &text;
        std::thread drain([reader, into] { *into = read_all(reader); });
        output.reset();
        close(fds[1]);
        drain.join();
    }
    close(fds[0]);
    // Every line is either written or counted in a marker.
    const std::regex marker(R"(\[(\d+) lines skipped\]\n)");
    std::size_t skipped = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), marker); it != std::sregex_iterator(); ++it) {
        skipped += std::stoul((*it)[1].str());
    }
    std::size_t written = 0;
    for (std::size_t at = text.find("a#0 | "); at != std::string::npos; at = text.find("a#0 | ", at + 1)) ++written;
    CHECK(skipped > 0);
    CHECK(written > 0);
    CHECK(written + skipped == 2000);
}

TEST_CASE("attached foreground output: stdout lines on one descriptor - stderr lines on the other - plain prefixes") {
    int out[2];
    int err[2];
    REQUIRE(pipe(out) == 0);
    REQUIRE(pipe(err) == 0);
    {
        ForegroundOutput output(out[1], err[1]);
        output.lines("web#0", "out", "hello\nworld\n");
        output.lines("worker#12", "err", "oops\n");
        output.lines("web#0", "out", "again\n");
        output.lines("web#0", "err", "partial");
    }
    close(out[1]);
    close(err[1]);
    // No padding to the widest name, no '!', no colors: one pattern parses every line.
    CHECK(read_all(out[0]) == "web#0 | hello\nweb#0 | world\nweb#0 | again\n");
    CHECK(read_all(err[0]) == "worker#12 | oops\nweb#0 | partial\n");
    close(out[0]);
    close(err[0]);
}

TEST_CASE("attached foreground output: another writer's lines on the same pipe never land inside a program's line") {
    // The daemon's own log shares stderr with the programs' stderr lines. A small pipe read slowly fills up;
    // a write of more than PIPE_BUF bytes would then be split, and the other writer's line would land inside.
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    fcntl(fds[1], F_SETPIPE_SZ, 4096);
    int unused[2];
    REQUIRE(pipe(unused) == 0);
    std::atomic<bool> done = false;
    std::string text;
    std::thread reader([&] {
        char buffer[512];
        ssize_t n;
        while ((n = read(fds[0], buffer, sizeof buffer)) > 0) {
            text.append(buffer, static_cast<std::size_t>(n));
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    std::thread other([&] {
        while (!done) {
            (void)!write(fds[1], "X\n", 2);
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    });
    {
        ForegroundOutput output(unused[1], fds[1]);
        const std::string line(100, 'y');
        std::string many;
        for (int i = 0; i < 200; ++i) many += line + "\n";
        for (int i = 0; i < 5; ++i) output.lines("a#0", "err", many);  // 100 KiB in 20 KiB calls
    }
    done = true;
    other.join();
    close(fds[1]);
    reader.join();
    close(fds[0]);
    close(unused[0]);
    close(unused[1]);
    std::size_t program_lines = 0;
    std::size_t broken = 0;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        const std::string_view line(text.data() + start, (end == std::string::npos ? text.size() : end) - start);
        if (line == "a#0 | " + std::string(100, 'y')) {
            ++program_lines;
        } else if (line != "X") {
            ++broken;
        }
        start = end == std::string::npos ? text.size() : end + 1;
    }
    CHECK(broken == 0);
    CHECK(program_lines == 1000);
}
