#pragma once
// The metrics endpoint: libmicrohttpd in its external-event mode, driven by the daemon's libuv loop, with
// no thread of its own. MHD keeps its sockets in an epoll set of its own (MHD_USE_EPOLL without an internal
// thread); a uv_poll_t watches that set's descriptor, and a uv_timer_t follows MHD_get_timeout() (idle
// connections to close, work MHD left for its next turn). On either, MHD_run() does what is ready without
// blocking: accepts, reads requests, calls `render` for the body and writes the answer.
//   GET or HEAD /metrics  200, Content-Type: text/plain; version=0.0.4; charset=utf-8
//   another path          404
//   another method        405, Allow: GET, HEAD
// Ownership: an HttpEndpoint owns the MHD daemon, which owns the listening socket it was given and every
// connection, and both handles. close() (and the destructor) stops watching the epoll descriptor before MHD
// closes it, then stops MHD: connections still open are closed, a request being answered never is (render
// runs inside MHD_run, on the loop's thread).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"
#include "base/uv_handle.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace corral::metrics {

// A TCP socket bound to `host` (an IPv4 or IPv6 address, not a name) and `port` (0: the kernel picks),
// listening; the error names the address.
Result<UniqueFd> listen_tcp(const std::string& host, std::uint16_t port);
// Where a socket is bound: "127.0.0.1:41234", "[::1]:41234"; "" when it cannot be told.
std::string local_address(int fd);

class HttpEndpoint {
public:
    using Render = std::function<std::string()>;

    // Serves on `listener` (from listen_tcp) from `loop`; the endpoint owns the socket from then on.
    static Result<std::unique_ptr<HttpEndpoint>> start(uv_loop_t* loop, UniqueFd listener, Render render);
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    // "127.0.0.1:41234": the port the kernel picked for port 0.
    const std::string& address() const { return address_; }
    void close();

    // For MHD's callbacks (http_endpoint.cpp): answers one request.
    int answer(MHD_Connection* connection, const char* url, const char* method);

private:
    struct StopDaemon {
        void operator()(MHD_Daemon* daemon) const;
    };

    HttpEndpoint(Render render, std::string address);
    static void on_poll(uv_poll_t* handle, int status, int events);
    static void on_timer(uv_timer_t* handle);
    // MHD_run(), then the timer set to what MHD asks for next.
    void run();

    Render render_;
    std::string address_;
    std::unique_ptr<MHD_Daemon, StopDaemon> daemon_;
    UvHandle<uv_poll_t> poll_;
    UvHandle<uv_timer_t> timer_;
};

}  // namespace corral::metrics
