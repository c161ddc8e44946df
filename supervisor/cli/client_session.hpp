#pragma once
// What every client command does the same way: connect, send a request, and turn what went wrong into
// a message (or a JSON error with --json) and an exit code.
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/cli/client_commands.hpp"
#include "supervisor/cli/control_client.hpp"
#include "supervisor/protocol/commands.hpp"

namespace corral::supervisor::cli {

class Session {
public:
    // `command` names the command in messages: "corral restart: ...".
    Session(const ClientOptions& options, std::string command) : options_(options), command_(std::move(command)) {}

    // Connects; false after reporting why (exit_code() says 3 when no daemon runs there). With
    // `quiet_if_none`, no daemon there is not reported: no_daemon() says so and the caller does without.
    bool connect(bool quiet_if_none = false);
    bool no_daemon() const { return no_daemon_; }
    // Reports the failure of a quiet connect() after all.
    void report_no_daemon() { fail(connect_error_); }
    // Sends `command` on the connection; the result of an ok reply, or nullopt after reporting the error
    // reply or the client error (exit_code() is set).
    std::optional<Json> call(const protocol::Command& command);

    // Reports a failure and sets the exit code: 3 for no_daemon, else 1.
    void fail(const ClientError& error);
    // Reports an error reply's error object and sets the exit code 1.
    void fail_reply(const Json& error);

    // With --json, errors are printed on one line from now on (a command that prints JSON lines).
    void json_lines() { json_lines_ = true; }

    ControlClient& client() { return *client_; }
    const ClientOptions& options() const { return options_; }
    int exit_code() const { return exit_code_; }

private:
    void print_error_json(const Json& error) const;

    const ClientOptions& options_;
    std::string command_;
    std::optional<ControlClient> client_;
    int exit_code_ = kExitOk;
    bool json_lines_ = false;
    bool no_daemon_ = false;
    ClientError connect_error_;
};

// The target `text` given to `cmd`, or nullopt after printing why it is not one ("corral stop: ...").
std::optional<protocol::Target> read_target(std::string_view cmd, const std::string& text);

// Writes to stdout and flushes (stream commands print as lines arrive).
void print(const std::string& text);
// `json` indented by 2, then a newline.
void print_json(const Json& json);

}  // namespace corral::supervisor::cli
