#pragma once
// A blocking HTTP/1.1 client just big enough for the agent's tests: GET requests on one connection (TCP or
// unix), replies with a Content-Length body. Every read and write gives up after a few seconds, so that a
// test fails instead of hanging.
#include <map>
#include <optional>
#include <string>

#include "base/unique_fd.hpp"
#include "tests/integration/agent_apps.hpp"

namespace corral::test {

struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;

    std::string header(const std::string& name) const {
        const auto found = headers.find(name);
        return found == headers.end() ? "" : found->second;
    }
};

class HttpConnection {
public:
    // Connects to `socket`'s address; an unconnected HttpConnection (false) when that fails.
    explicit HttpConnection(const HeldSocket& socket);
    explicit operator bool() const { return static_cast<bool>(fd_); }

    // Sends `GET path` (HTTP/1.1, keep-alive unless `close`); false when it cannot be written.
    bool send_get(const std::string& path, bool close = false);
    // The next reply, or nullopt when the connection ends or fails first.
    std::optional<HttpReply> read_reply();
    // True when the server closes the connection (end of stream, or reset) with nothing more to read.
    bool closed_by_server();

private:
    bool fill();

    UniqueFd fd_;
    std::string buffer_;
};

// One request on a fresh connection; nullopt when it gets no reply.
std::optional<HttpReply> fresh_get(const HeldSocket& socket, const std::string& path = "/");

}  // namespace corral::test
