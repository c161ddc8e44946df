// The programs' lines on a foreground daemon's stdout: prefixes, and a reader that does not keep up.
#include "supervisor/daemon/foreground_output.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
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
