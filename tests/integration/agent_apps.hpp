#pragma once
// For the agent's tests: listening sockets held by the test as the daemon holds them, and Node apps started
// with those sockets at fds 3.. (systemd's LISTEN_FDS protocol, CORRAL_LISTEN) and the agent preloaded.
//
// Every NodeApp is SIGKILLed and reaped by its destructor when the test has not reaped it, and dies with
// the test process (PR_SET_PDEATHSIG) if that dies first.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"

namespace corral::test {

// A listening socket: TCP on a loopback address (port 0: the kernel picks), or a unix socket.
struct HeldSocket {
    UniqueFd fd;
    std::string address;  // as CORRAL_LISTEN gives it: "127.0.0.1:40123", "[::1]:40123", "unix:/path"
    std::string host;     // "127.0.0.1", "::1"; empty for a unix socket
    int port = 0;
    std::filesystem::path path;

    static HeldSocket tcp(const std::string& host, int port = 0);  // throws when it cannot listen
    static HeldSocket unix_socket(const std::filesystem::path& path);
};

struct AppOptions {
    std::vector<const HeldSocket*> sockets;    // at fds 3, 4, ... in this order
    std::map<std::string, std::string> env;    // the fixture's PORT, HOST, SOCKET, OWN_SIGTERM, SECOND
    bool listen_pid_is_own = true;             // false: LISTEN_PID names another process
};

// tests/fixtures/agent_app.js under node, with NODE_OPTIONS=--require <agent> and a channel (a socketpair)
// at fd 3 + sockets.size(); stdout and stderr go to files in its own temporary directory.
class NodeApp {
public:
    NodeApp(const std::filesystem::path& agent, const AppOptions& options);
    ~NodeApp();
    NodeApp(const NodeApp&) = delete;
    NodeApp& operator=(const NodeApp&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int signum) const;
    // The wait status, or nullopt when still running after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // The next line the app sent on its channel, or "" when none came within `timeout` (0: only what is
    // there already).
    std::string channel_line(std::chrono::milliseconds timeout);
    // Waits until stdout has a line starting with `prefix`; that line, or "" after `timeout`.
    std::string output_line(const std::string& prefix, std::chrono::milliseconds timeout) const;
    std::string error_text() const;
    // Whether the process still has descriptor `fd` open (a held socket it has not closed).
    bool has_fd(int fd) const;

private:
    TempDir dir_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    UniqueFd channel_;
    std::string channel_buffer_;
};

}  // namespace corral::test
