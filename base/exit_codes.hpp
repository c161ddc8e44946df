#pragma once
// The exit codes of every corral command, as scripts see them.
namespace corral {

inline constexpr int kExitOk = 0;
// The command failed: the daemon could not start, refused or failed the request, the connection broke,
// or the post-mortem asked for is missing.
inline constexpr int kExitFailed = 1;
// Usage: a bad argument, or a service file with errors.
inline constexpr int kExitUsage = 2;
// No daemon is running at the socket.
inline constexpr int kExitNoDaemon = 3;

}  // namespace corral
