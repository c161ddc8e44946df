#pragma once
// The commands that talk to a running daemon over its control socket:
//   corral status [TARGET] [--json]
//   corral describe TARGET [--json]
//   corral start|stop|restart TARGET [--no-wait] [--timeout DURATION]    TARGET: NAME, NAME#INDEX or all
//   corral signal TARGET SIGNAL [--no-wait]
//   corral cool TARGET [--for DURATION], corral heat TARGET
//   corral reload [--no-wait] [--timeout DURATION]
//   corral logs [TARGET] [-n N] [-f] [--out|--err] [--since DURATION|TIME]
//   corral flush [TARGET]
//   corral events [--json]
//   corral shutdown
//   corral metrics                      Prometheus' text format (metrics_command.cpp)
// Each takes --json (the daemon's result as it came; errors as {"error":{"code","message",...}} on stdout),
// --socket PATH and -c FILE (socket_path.hpp), and -C DIR (as if run there); status, start, stop, restart,
// logs (without -f) and shutdown take --all (every registered daemon: every_daemon.hpp).
//
// start, stop, restart, reload and signal wait for their result (wait_commands.hpp) unless --no-wait.
//
// Exit codes: 0 done, 1 the daemon refused or failed the command, or what it waited for did not happen
// (or the connection broke), 2 usage, 3 no daemon is running at the socket.
#include <filesystem>
#include <string>

#include "base/exit_codes.hpp"
#include "supervisor/protocol/commands.hpp"

namespace corral::supervisor::cli {

struct ClientOptions {
    std::filesystem::path socket;  // resolved by the caller (find_socket)
    bool json = false;
    bool color = false;     // stdout is a terminal and NO_COLOR is not set
    bool terminal = false;  // stdout is a terminal: program output is cleaned of escape sequences
};

// --no-wait and --timeout of the commands that wait.
struct WaitOptions {
    bool no_wait = false;  // answer at once, as before commands waited
    std::string timeout;   // a duration such as "30s"; "" for no bound
};

// `target`: "" for every instance.
int status_command(const ClientOptions& options, const std::string& target = {});
// describe_command.cpp.
int describe_command(const ClientOptions& options, const std::string& target);
// Command: protocol::Start, protocol::Stop or protocol::Restart.
template <typename Command>
int target_command(const ClientOptions& options, const std::string& target, const WaitOptions& wait);
// The signal is sent at once either way; waiting, an instance that is not running is an error.
int signal_command(const ClientOptions& options, const std::string& target, const std::string& signal, bool no_wait);
// for_text: a duration such as "5m", or "" for until heat.
int cool_command(const ClientOptions& options, const std::string& target, const std::string& for_text);
int heat_command(const ClientOptions& options, const std::string& target);
// `service`: one to roll even when the file did not change it ("" for none).
int reload_command(const ClientOptions& options, const std::string& service, const WaitOptions& wait);
int shutdown_command(const ClientOptions& options);

struct LogsOptions {
    std::string target = "all";
    int lines = 100;
    protocol::LogStream stream = protocol::LogStream::both;
    bool follow = false;
    std::string since;  // "" for every line; a duration ("10m") or a UTC time
};
// Without a daemon at the socket, the files of its state directory are read (log_files.hpp).
int logs_command(const ClientOptions& options, const LogsOptions& logs);
int events_command(const ClientOptions& options);
// Empties the logs of TARGET ("all"): through the daemon, or on the files when none runs.
int flush_command(const ClientOptions& options, const std::string& target);
int metrics_command(const ClientOptions& options);

}  // namespace corral::supervisor::cli
