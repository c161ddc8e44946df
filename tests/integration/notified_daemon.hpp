#pragma once
// For the sd_notify tests: a notify socket the test listens on (AF_UNIX, SOCK_DGRAM, as systemd's), and a
// daemon started with NOTIFY_SOCKET pointing at it. The daemon is forked and then exec'd, so that
// WATCHDOG_PID can name it, as systemd sets it for a unit's main process.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"

namespace corral::test {

class NotifySocket {
public:
    explicit NotifySocket(const std::filesystem::path& path);
    const std::filesystem::path& path() const { return path_; }
    // Receives until a message for which `wanted` holds, or `timeout`; every message received is kept.
    std::optional<std::string> next(const std::function<bool(const std::string&)>& wanted,
                                    std::chrono::milliseconds timeout);
    const std::vector<std::string>& received() const { return received_; }

private:
    std::filesystem::path path_;
    UniqueFd fd_;
    std::vector<std::string> received_;
};

// True when the message holds `line` as one of its lines ("READY=1").
bool has_line(const std::string& message, const std::string& line);
// The value of `key` in the message ("STATUS"), or nullopt.
std::optional<std::string> value_of(const std::string& message, const std::string& key);

class NotifiedDaemon {
public:
    // `corral args...` in `cwd` (stdout, stderr to cwd/corral.stdout, .stderr), with NOTIFY_SOCKET=`socket`,
    // and WATCHDOG_USEC=`watchdog_usec`, WATCHDOG_PID=<its pid> when watchdog_usec is not 0.
    NotifiedDaemon(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                   const std::filesystem::path& socket, unsigned long watchdog_usec);
    // Stops the daemon (SIGTERM, then SIGKILL) and everything it left, processes and cgroups.
    ~NotifiedDaemon();
    NotifiedDaemon(const NotifiedDaemon&) = delete;
    NotifiedDaemon& operator=(const NotifiedDaemon&) = delete;

    pid_t pid() const { return pid_; }
    void terminate() const;
    // Waits for the exit: the exit code (128+signal), -1 on timeout.
    int exit_code(std::chrono::milliseconds timeout);

private:
    std::optional<int> wait(std::chrono::milliseconds timeout);

    std::filesystem::path cwd_;
    pid_t pid_ = -1;
    bool reaped_ = false;
};

// Runs `corral args...` in `cwd` to its end (stdout and stderr to cwd/NAME.stdout, .stderr, NAME being
// args[0]) and returns its exit code, -1 on timeout (then it is killed). Unlike run_corral() it leaves
// every other process alone: the NotifiedDaemon is not among the daemons that run_corral() spares.
int run_beside(const std::filesystem::path& cwd, const std::vector<std::string>& args,
               std::chrono::milliseconds timeout);

}  // namespace corral::test
