#pragma once
// A TCP server on the test's own loop, for the readiness probe's tests. Bound at construction to a free
// loopback port and listening only when told (a bound socket that does not listen refuses connections:
// a service that has not started yet). Each connection is answered as `mode` says at the moment the
// request head is complete.
//
// Ownership: the listening socket and every connection are UvHandles; a reply in flight when its
// connection closes is called back cancelled and frees itself.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/uv_handle.hpp"

namespace corral::test {

class ProbeServer {
public:
    enum class Mode {
        silent,            // accepts, reads, never answers
        close_unanswered,  // reads the request head and closes
        reply,             // reads the request head, writes `reply`, closes
    };

    // Binds to `ip` ("127.0.0.1", "::1") on a port the kernel picks; bound() is false when it cannot.
    ProbeServer(uv_loop_t* loop, const char* ip);
    ProbeServer(const ProbeServer&) = delete;
    ProbeServer& operator=(const ProbeServer&) = delete;

    bool bound() const { return port_ != 0; }
    std::uint16_t port() const { return port_; }
    int listen();
    void close();

    Mode mode = Mode::silent;
    std::string reply;

    int accepted = 0;
    int open = 0;                       // connections not yet closed by either side
    std::vector<std::string> requests;  // each request head, as read

    // "HTTP/1.1 <status>\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".
    static std::string http_reply(const std::string& status);

private:
    struct Connection {
        ProbeServer* server = nullptr;
        UvHandle<uv_tcp_t> tcp;
        std::string head;
    };
    static void on_connection(uv_stream_t* listener, int status);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_written(uv_write_t* request, int status);
    void take(Connection& connection, ssize_t nread, const uv_buf_t* buf);
    void finish(Connection& connection);

    uv_loop_t* loop_;
    UvHandle<uv_tcp_t> listener_;
    std::uint16_t port_ = 0;
    std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace corral::test
