#pragma once
// corral in the foreground with its stdout a pipe that the test reads (a thread collects everything), as a
// terminal multiplexer or `corral up | tee` would see it. Stopped (and whatever it left killed) on
// destruction, like CorralProcess. `pause_reading` leaves the pipe unread, as a stopped terminal would.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace corral::test {

class PipedCorral {
public:
    PipedCorral(const std::filesystem::path& cwd, const std::vector<std::string>& args, bool paused = false);
    ~PipedCorral();
    PipedCorral(const PipedCorral&) = delete;
    PipedCorral& operator=(const PipedCorral&) = delete;

    pid_t pid() const { return pid_; }
    std::string out() const;  // what stdout gave so far
    void resume_reading() { paused_ = false; }
    // SIGTERM and wait: the exit code (or 128+signal), -1 on timeout.
    int stop(std::chrono::milliseconds timeout);
    // Waits for the exit: the exit code (or 128+signal), nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    void read_all(int fd);

    std::filesystem::path cwd_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    std::atomic<bool> paused_;
    mutable std::mutex mutex_;
    std::string out_;
    std::thread reader_;
};

}  // namespace corral::test
