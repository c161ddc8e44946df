#pragma once
// A small blocking client of the control socket (supervisor/protocol/control_protocol.hpp): connect, send one
// typed command and read its reply, then, for `logs --follow` and `events`, read the stream that follows, one line at a time.
// Nothing here prints: every failure comes back as a ClientError saying what happened, and whether it
// means that no daemon is running at all.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "base/unique_fd.hpp"
#include "supervisor/protocol/commands.hpp"

namespace corral::supervisor::cli {

// Replies keep the daemon's key order, so that --json prints them as they came.
using Json = nlohmann::ordered_json;

struct ClientError {
    enum class Kind {
        no_daemon,  // nothing listens at the socket: it does not exist (ENOENT) or refuses (ECONNREFUSED)
        timeout,    // the connection or the reply took too long
        closed,     // the daemon closed the connection before the whole reply
        bad_reply,  // a line that is not a JSON object
        io,         // any other system error (permissions, a path too long, ...)
    };
    Kind kind = Kind::io;
    std::string message;  // "cannot connect to /srv/app/.corral/corral.sock: Permission denied"
};

// A value or a ClientError.
template <typename T>
class [[nodiscard]] Expected {
public:
    Expected(T value) : value_(std::move(value)) {}
    Expected(ClientError error) : value_(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(value_); }
    explicit operator bool() const { return ok(); }
    T& operator*() { return std::get<T>(value_); }
    const T& operator*() const { return std::get<T>(value_); }
    T* operator->() { return &std::get<T>(value_); }
    const T* operator->() const { return &std::get<T>(value_); }
    const ClientError& error() const { return std::get<ClientError>(value_); }

private:
    std::variant<T, ClientError> value_;
};

class ControlClient {
public:
    static constexpr std::chrono::milliseconds kConnectTimeout{2000};
    static constexpr std::chrono::milliseconds kReplyTimeout{30000};
    // A reply or an event line longer than this is an error (a reply of 10000 log lines fits easily).
    static constexpr std::size_t kMaxLineBytes = std::size_t{1} << 30;

    // An AF_UNIX stream connection to `socket` (close-on-exec). A path longer than sockaddr_un allows is
    // reached through its path relative to the working directory when that one fits.
    static Expected<ControlClient> connect(const std::filesystem::path& socket,
                                           std::chrono::milliseconds timeout = kConnectTimeout);

    // Sends `command` as a request (ids count up from 1) and returns its reply line parsed:
    // {"id":N,"ok":true,"result":...} or {"id":N,"ok":false,"error":{...}}.
    Expected<Json> request(const protocol::Command& command, std::chrono::milliseconds timeout = kReplyTimeout);

    // The same for a request that waits for its result ("wait": true): the progress events that come before
    // its reply ({"id":N,"event":{...}}) are handed to `on_event` as they come, and the reply is returned.
    // The wait has no bound here (the request's timeout_ms is the daemon's to keep); `silence` bounds how
    // long the daemon may send nothing at all, which it never does for long while it waits (heartbeats).
    using EventSink = std::function<void(const Json& event)>;
    Expected<Json> request_waiting(const protocol::Command& command, const EventSink& on_event,
                                   std::chrono::milliseconds silence = kReplyTimeout);

    // The next line of a stream, parsed ({"id":N,"event":{...}} or an error reply); nullopt when the daemon
    // closed the connection. Without a timeout, waits as long as it takes.
    Expected<std::optional<Json>> read_event(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    int fd() const { return fd_.get(); }
    const std::filesystem::path& socket() const { return socket_; }

private:
    ControlClient(UniqueFd fd, std::filesystem::path socket) : fd_(std::move(fd)), socket_(std::move(socket)) {}

    using Deadline = std::optional<std::chrono::steady_clock::time_point>;
    // One line without its newline; nullopt at a clean end of the connection (between lines).
    Expected<std::optional<std::string>> read_line(Deadline deadline);
    std::optional<ClientError> send_all(std::string_view data, Deadline deadline);
    Expected<Json> parse_line(const std::string& line) const;
    // Reads until the reply to `id`; each line may take `timeout`, and with `on_event` the clock starts over
    // at every event, which goes to it.
    Expected<Json> reply_to(std::int64_t id, std::chrono::milliseconds timeout, const EventSink* on_event);

    UniqueFd fd_;
    std::filesystem::path socket_;
    std::string buffer_;  // received, not yet returned
    std::int64_t next_id_ = 1;
};

}  // namespace corral::supervisor::cli
