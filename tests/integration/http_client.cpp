#include "tests/integration/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace corral::test {

namespace {

constexpr timeval kIoTimeout{5, 0};

UniqueFd connect_to(const HeldSocket& socket) {
    sockaddr_storage address{};
    socklen_t length = 0;
    int family = AF_UNIX;
    if (!socket.path.empty()) {
        auto* un = reinterpret_cast<sockaddr_un*>(&address);
        un->sun_family = AF_UNIX;
        std::strncpy(un->sun_path, socket.path.c_str(), sizeof un->sun_path - 1);
        length = sizeof *un;
    } else if (socket.host.find(':') != std::string::npos) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
        family = in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(socket.port));
        ::inet_pton(AF_INET6, socket.host.c_str(), &in6->sin6_addr);
        length = sizeof *in6;
    } else {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
        family = in4->sin_family = AF_INET;
        in4->sin_port = htons(static_cast<uint16_t>(socket.port));
        ::inet_pton(AF_INET, socket.host.c_str(), &in4->sin_addr);
        length = sizeof *in4;
    }
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fd;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &kIoTimeout, sizeof kIoTimeout);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &kIoTimeout, sizeof kIoTimeout);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) fd.reset();
    return fd;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

}  // namespace

HttpConnection::HttpConnection(const HeldSocket& socket) : fd_(connect_to(socket)) {}

bool HttpConnection::send_get(const std::string& path, bool close) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\nConnection: " +
                                (close ? "close" : "keep-alive") + "\r\n\r\n";
    return fd_ && ::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
}

bool HttpConnection::fill() {
    char chunk[4096];
    const ssize_t n = fd_ ? ::recv(fd_.get(), chunk, sizeof chunk, 0) : -1;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

std::optional<HttpReply> HttpConnection::read_reply() {
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) return std::nullopt;
    }
    HttpReply reply;
    const std::string head = buffer_.substr(0, head_end + 2);
    if (head.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    reply.status = std::atoi(head.c_str() + 9);
    for (std::size_t start = head.find("\r\n") + 2, end; (end = head.find("\r\n", start)) != std::string::npos;
         start = end + 2) {
        const std::string line = head.substr(start, end - start);
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto value = line.find_first_not_of(' ', colon + 1);
        reply.headers[lower(line.substr(0, colon))] = value == std::string::npos ? "" : line.substr(value);
    }
    const std::size_t length = std::stoul(reply.header("content-length").empty() ? "0" : reply.header("content-length"));
    while (buffer_.size() < head_end + 4 + length) {
        if (!fill()) return std::nullopt;
    }
    reply.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    return reply;
}

bool HttpConnection::closed_by_server() {
    char byte;
    const ssize_t n = fd_ ? ::recv(fd_.get(), &byte, 1, 0) : -1;
    return buffer_.empty() && (n == 0 || (n < 0 && errno == ECONNRESET));
}

std::optional<HttpReply> fresh_get(const HeldSocket& socket, const std::string& path) {
    HttpConnection connection(socket);
    if (!connection.send_get(path, true)) return std::nullopt;
    return connection.read_reply();
}

}  // namespace corral::test
