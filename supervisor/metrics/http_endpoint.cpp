#include "supervisor/metrics/http_endpoint.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace corral::metrics {
namespace {

constexpr unsigned kConnectionLimit = 64;
// Prometheus keeps its connection between scrapes; an idle one is closed after this long.
constexpr unsigned kIdleSeconds = 30;
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

MHD_Result on_request(void* self, MHD_Connection* connection, const char* url, const char* method, const char*,
                      const char*, size_t*, void**) {
    return static_cast<HttpEndpoint*>(self)->answer(connection, url, method) == MHD_YES ? MHD_YES : MHD_NO;
}

void on_mhd_log(void*, const char* format, va_list arguments) {
    char text[512];
    std::vsnprintf(text, sizeof text, format, arguments);
    std::size_t length = std::strlen(text);
    while (length > 0 && text[length - 1] == '\n') text[--length] = '\0';
    spdlog::debug("metrics endpoint: {}", text);
}

MHD_Result respond(MHD_Connection* connection, unsigned status, const std::string& body, const char* type,
                   const char* allow = nullptr) {
    MHD_Response* response =
        MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow != nullptr) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
    const MHD_Result queued = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return queued;
}

}  // namespace

Result<UniqueFd> listen_tcp(const std::string& host, std::uint16_t port) {
    const std::string shown = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
    sockaddr_storage address{};
    socklen_t length = 0;
    if (host.find(':') != std::string::npos) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) return sys_error("listen on", shown, EINVAL);
        length = sizeof *in6;
    } else {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) return sys_error("listen on", shown, EINVAL);
        length = sizeof *in4;
    }
    UniqueFd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return sys_error("create a socket for", shown);
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) return sys_error("listen on", shown);
    if (::listen(fd.get(), 64) != 0) return sys_error("listen on", shown);
    return fd;
}

std::string local_address(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
    char host[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in4->sin_port));
}

void HttpEndpoint::StopDaemon::operator()(MHD_Daemon* daemon) const { MHD_stop_daemon(daemon); }

HttpEndpoint::HttpEndpoint(Render render, std::string address) : render_(std::move(render)), address_(std::move(address)) {}

HttpEndpoint::~HttpEndpoint() { close(); }

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(uv_loop_t* loop, UniqueFd listener, Render render) {
    std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(std::move(render), local_address(listener.get())));
    const std::string& shown = endpoint->address_;
    MHD_Daemon* daemon = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, nullptr, nullptr, &on_request,
        endpoint.get(), MHD_OPTION_LISTEN_SOCKET, listener.get(), MHD_OPTION_CONNECTION_LIMIT, kConnectionLimit,
        MHD_OPTION_CONNECTION_TIMEOUT, kIdleSeconds, MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_log, nullptr, MHD_OPTION_END);
    if (daemon == nullptr) {
        SysError error = sys_error("serve metrics on", shown, EIO);
        error.detail = "libmicrohttpd could not start (its messages are in the debug log)";
        return error;
    }
    listener.release();  // MHD's now: MHD_stop_daemon closes it
    endpoint->daemon_.reset(daemon);
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == nullptr) return sys_error("watch the epoll set of", shown, EINVAL);
    if (const int rc = endpoint->poll_.init(uv_poll_init, loop, info->epoll_fd); rc < 0) {
        return sys_error("watch the epoll set of", shown, -rc);
    }
    if (const int rc = endpoint->timer_.init(uv_timer_init, loop); rc < 0) return sys_error("time", shown, -rc);
    endpoint->poll_.get()->data = endpoint.get();
    endpoint->timer_.get()->data = endpoint.get();
    uv_poll_start(endpoint->poll_.get(), UV_READABLE, on_poll);
    endpoint->run();
    return endpoint;
}

void HttpEndpoint::close() {
    // libuv stops watching the descriptor in uv_close, before MHD closes it.
    poll_.close();
    timer_.close();
    daemon_.reset();
}

void HttpEndpoint::on_poll(uv_poll_t* handle, int, int) { static_cast<HttpEndpoint*>(handle->data)->run(); }

void HttpEndpoint::on_timer(uv_timer_t* handle) { static_cast<HttpEndpoint*>(handle->data)->run(); }

void HttpEndpoint::run() {
    if (!daemon_) return;
    MHD_run(daemon_.get());
#if MHD_VERSION >= 0x00097701
    uint64_t wait_ms = 0;
    if (MHD_get_timeout64(daemon_.get(), &wait_ms) == MHD_YES) {
#else
    MHD_UNSIGNED_LONG_LONG wait_ms = 0;
    if (MHD_get_timeout(daemon_.get(), &wait_ms) == MHD_YES) {
#endif
        uv_timer_start(timer_.get(), on_timer, static_cast<std::uint64_t>(wait_ms), 0);
    } else {
        uv_timer_stop(timer_.get());
    }
}

int HttpEndpoint::answer(MHD_Connection* connection, const char* url, const char* method) {
    const bool get = std::strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    if (!get && std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", "text/plain; charset=utf-8",
                       "GET, HEAD");
    }
    if (std::strcmp(url, "/metrics") != 0) {
        return respond(connection, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
                       "text/plain; charset=utf-8");
    }
    return respond(connection, MHD_HTTP_OK, render_(), kContentType);
}

}  // namespace corral::metrics
