#include "supervisor/cli/control_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/text_format.hpp"
#include "supervisor/protocol/request.hpp"

namespace corral::supervisor::cli {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

ClientError error_of(ClientError::Kind kind, std::string message) { return ClientError{kind, std::move(message)}; }

ClientError system_error(const std::string& what, const fs::path& socket, int code) {
    return error_of(ClientError::Kind::io, "cannot " + what + " " + socket.string() + ": " + std::strerror(code));
}

std::string seconds(std::chrono::milliseconds timeout) {
    return format_duration(std::chrono::milliseconds(timeout.count()));
}

// Milliseconds left for poll(): -1 without a deadline, 0 once it has passed.
int poll_timeout(const std::optional<Clock::time_point>& deadline) {
    if (!deadline) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// The address for `socket`, or its relative form when the absolute one does not fit in sun_path.
std::optional<sockaddr_un> address_of(const fs::path& socket) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string text = socket.string();
    if (text.size() >= sizeof address.sun_path) {
        std::error_code ec;
        const fs::path relative = fs::relative(socket, fs::current_path(ec), ec);
        if (ec || relative.empty()) return std::nullopt;
        text = relative.string();
        if (text.size() >= sizeof address.sun_path) return std::nullopt;
    }
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return address;
}

}  // namespace

Expected<ControlClient> ControlClient::connect(const fs::path& socket, std::chrono::milliseconds timeout) {
    const auto address = address_of(socket);
    if (!address) {
        return error_of(ClientError::Kind::io, "cannot connect to " + socket.string() + ": the path is longer than " +
                                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return system_error("create a socket for", socket, errno);

    // A non-blocking AF_UNIX connect completes at once or fails; EAGAIN means the daemon's backlog is full:
    // try again until the deadline.
    const auto deadline = Clock::now() + timeout;
    const auto* raw = reinterpret_cast<const sockaddr*>(&*address);
    while (::connect(fd.get(), raw, sizeof *address) != 0) {
        const int code = errno;
        if (code == EINTR) continue;
        if (code == ENOENT || code == ECONNREFUSED) {
            return error_of(ClientError::Kind::no_daemon,
                            "cannot connect to " + socket.string() + ": " + std::strerror(code));
        }
        if (code == EINPROGRESS || code == EALREADY) {
            pollfd p{fd.get(), POLLOUT, 0};
            const int ready = ::poll(&p, 1, poll_timeout(deadline));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return system_error("connect to", socket, errno);
            if (ready == 0) break;
            int so_error = 0;
            socklen_t length = sizeof so_error;
            ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &length);
            if (so_error == 0) return ControlClient(std::move(fd), socket);
            if (so_error == ECONNREFUSED) {
                return error_of(ClientError::Kind::no_daemon,
                                "cannot connect to " + socket.string() + ": " + std::strerror(so_error));
            }
            return system_error("connect to", socket, so_error);
        }
        if (code != EAGAIN) return system_error("connect to", socket, code);
        if (Clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (Clock::now() >= deadline) {
        return error_of(ClientError::Kind::timeout,
                        "cannot connect to " + socket.string() + ": the daemon did not accept within " + seconds(timeout));
    }
    return ControlClient(std::move(fd), socket);
}

std::optional<ClientError> ControlClient::send_all(std::string_view data, Deadline deadline) {
    while (!data.empty()) {
        const ssize_t sent = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (sent > 0) {
            data.remove_prefix(static_cast<std::size_t>(sent));
            continue;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd_.get(), POLLOUT, 0};
            const int ready = ::poll(&p, 1, poll_timeout(deadline));
            if (ready < 0 && errno == EINTR) continue;
            if (ready == 0) return error_of(ClientError::Kind::timeout, "the daemon does not read its requests");
            continue;
        }
        if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            return error_of(ClientError::Kind::closed, "the daemon closed the connection");
        }
        return system_error("write to", socket_, errno);
    }
    return std::nullopt;
}

Expected<std::optional<std::string>> ControlClient::read_line(Deadline deadline) {
    std::size_t scanned = 0;
    while (true) {
        const auto newline = buffer_.find('\n', scanned);
        if (newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return std::optional<std::string>(std::move(line));
        }
        scanned = buffer_.size();
        if (buffer_.size() > kMaxLineBytes) {
            return error_of(ClientError::Kind::bad_reply, "the daemon sent a line longer than 1GiB");
        }
        pollfd p{fd_.get(), POLLIN, 0};
        const int ready = ::poll(&p, 1, poll_timeout(deadline));
        if (ready < 0) {
            if (errno == EINTR) continue;
            return system_error("read from", socket_, errno);
        }
        if (ready == 0) return error_of(ClientError::Kind::timeout, "no reply from the daemon");
        char chunk[64 * 1024];
        const ssize_t got = ::recv(fd_.get(), chunk, sizeof chunk, 0);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            if (errno == ECONNRESET) return error_of(ClientError::Kind::closed, "the daemon closed the connection");
            return system_error("read from", socket_, errno);
        }
        if (got == 0) {
            if (buffer_.empty()) return std::optional<std::string>();
            return error_of(ClientError::Kind::closed, "the daemon closed the connection in the middle of a line");
        }
        buffer_.append(chunk, static_cast<std::size_t>(got));
    }
}

Expected<Json> ControlClient::parse_line(const std::string& line) const {
    Json json = Json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        constexpr std::size_t kShown = 200;
        return error_of(ClientError::Kind::bad_reply,
                        "the daemon sent a line that is not a JSON object: " +
                            (line.size() > kShown ? line.substr(0, kShown) + "..." : line));
    }
    return json;
}

Expected<Json> ControlClient::request(const protocol::Command& command, std::chrono::milliseconds timeout) {
    const std::int64_t id = next_id_++;
    if (auto error = send_all(protocol::encode_request(id, command), Clock::now() + timeout)) return *error;
    return reply_to(id, timeout, nullptr);
}

Expected<Json> ControlClient::request_waiting(const protocol::Command& command, const EventSink& on_event,
                                              std::chrono::milliseconds silence) {
    const std::int64_t id = next_id_++;
    if (auto error = send_all(protocol::encode_request(id, command), Clock::now() + silence)) return *error;
    return reply_to(id, silence, &on_event);
}

Expected<Json> ControlClient::reply_to(std::int64_t id, std::chrono::milliseconds timeout, const EventSink* on_event) {
    Deadline deadline = Clock::now() + timeout;
    while (true) {
        auto line = read_line(deadline);
        if (!line) {
            ClientError error = line.error();
            if (error.kind == ClientError::Kind::timeout) {
                error.message = on_event != nullptr ? "the daemon at " + socket_.string() + " sent nothing for " +
                                                          seconds(timeout) + " while the command waited"
                                                    : "no reply from the daemon at " + socket_.string() + " within " +
                                                          seconds(timeout);
            }
            return error;
        }
        if (!*line) return error_of(ClientError::Kind::closed, "the daemon closed the connection without replying");
        auto reply = parse_line(**line);
        if (!reply) return reply.error();
        // A reply to an earlier request of this connection (none here) would be skipped; id null answers
        // a request the daemon could not read.
        const auto found = reply->find("id");
        if (found != reply->end() && !found->is_null() && *found != id) continue;
        const auto event = reply->find("event");
        if (on_event == nullptr || event == reply->end()) return reply;
        (*on_event)(*event);
        deadline = Clock::now() + timeout;
    }
}

Expected<std::optional<Json>> ControlClient::read_event(std::optional<std::chrono::milliseconds> timeout) {
    const Deadline deadline = timeout ? Deadline(Clock::now() + *timeout) : std::nullopt;
    auto line = read_line(deadline);
    if (!line) return line.error();
    if (!*line) return std::optional<Json>();
    auto event = parse_line(**line);
    if (!event) return event.error();
    return std::optional<Json>(std::move(*event));
}

}  // namespace corral::supervisor::cli
