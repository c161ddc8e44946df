#pragma once
// The programs' output on the terminal of a foreground `corral up` / `corral run`: every line, as its log
// gets it, prefixed with its instance ("web#0 | line"; stderr "web#0 ! line"), colored per service when
// asked. The daemon's loop never waits for the terminal: it only appends to a bounded buffer, which a
// writer thread of its own writes out with blocking writes. When the buffer is full (a slow or paused
// terminal), lines are dropped and counted, and "[N lines skipped]" says so where they were. The logs
// always get every line; the daemon's own log goes to stderr as before.
//
// Attached (`corral up --attach`, for containers: what `docker logs` and `kubectl logs` read), stdout lines
// go to stdout and stderr lines to stderr, each "web#0 | line", without colors or padding, so that a log
// shipper parses every line with one pattern. Each stream has its own buffer and writer. A write holds whole
// lines of at most PIPE_BUF bytes where it can, so on a pipe the daemon's own log lines (on stderr too)
// never land inside a program's line.
//
// Ownership: the state the thread uses is shared with it, so that a thread still blocked in write() at
// exit (a terminal paused for good) can be left behind safely.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace corral::supervisor {

// How the daemon runs in the foreground (set before Daemon::run).
struct ForegroundOptions {
    bool print_output = false;    // the programs' lines on stdout (not with --quiet, never detached)
    bool color = false;           // stdout is a terminal and NO_COLOR is not set
    bool exit_when_done = false;  // corral run: stop once every instance is done for good
    bool attach = false;          // --attach / CORRAL_ATTACH: stdout and stderr apart, plain prefixes
};

class ForegroundOutput {
public:
    static constexpr std::size_t kMostBuffered = 256 * 1024;

    ForegroundOutput(int fd, bool color, std::size_t most_buffered = kMostBuffered);
    // The attached form: lines of "out" to `out_fd`, lines of "err" to `err_fd`.
    ForegroundOutput(int out_fd, int err_fd, std::size_t most_buffered = kMostBuffered);
    // Writes what is still buffered, waiting at most 2 s for the terminal.
    ~ForegroundOutput();
    ForegroundOutput(const ForegroundOutput&) = delete;
    ForegroundOutput& operator=(const ForegroundOutput&) = delete;

    // Whole lines (each ending in '\n') that `instance` ("web#0") wrote to `stream` ("out" or "err").
    void lines(std::string_view instance, std::string_view stream, std::string_view lines);

    struct Shared;

private:
    std::string_view color_of(std::string_view instance);
    std::string prefix_of(std::string_view instance, bool err);
    void append(Shared& shared, std::size_t count);

    std::shared_ptr<Shared> shared_;
    std::shared_ptr<Shared> err_shared_;  // attached only: where stderr lines go
    bool color_;
    std::size_t most_buffered_;
    std::size_t width_ = 0;                          // the widest instance name so far: prefixes line up
    std::map<std::string, std::size_t, std::less<>> service_colors_;  // by service, in order of first line
    std::string batch_;  // one call's lines, formatted before the lock is taken
};

}  // namespace corral::supervisor
