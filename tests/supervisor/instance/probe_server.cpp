#include "tests/supervisor/instance/probe_server.hpp"

#include <cstring>

#include "base/owned_write.hpp"

namespace corral::test {
namespace {

void alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
    static char buffer[16 * 1024];
    *buf = uv_buf_init(buffer, sizeof buffer);
}

}  // namespace

ProbeServer::ProbeServer(uv_loop_t* loop, const char* ip) : loop_(loop) {
    sockaddr_storage address{};
    const bool v6 = std::strchr(ip, ':') != nullptr;
    const int parsed = v6 ? uv_ip6_addr(ip, 0, reinterpret_cast<sockaddr_in6*>(&address))
                          : uv_ip4_addr(ip, 0, reinterpret_cast<sockaddr_in*>(&address));
    if (parsed != 0 || listener_.init(uv_tcp_init, loop) != 0) return;
    listener_.get()->data = this;
    if (uv_tcp_bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), v6 ? UV_TCP_IPV6ONLY : 0) != 0) return;
    sockaddr_storage bound{};
    int length = sizeof bound;
    if (uv_tcp_getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &length) != 0) return;
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port : reinterpret_cast<sockaddr_in&>(bound).sin_port);
}

int ProbeServer::listen() { return uv_listen(listener_.stream(), 16, on_connection); }

void ProbeServer::close() {
    listener_.close();
    for (auto& connection : connections_) connection->tcp.close();
    open = 0;
}

std::string ProbeServer::http_reply(const std::string& status) {
    return "HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

void ProbeServer::on_connection(uv_stream_t* listener, int status) {
    auto* self = static_cast<ProbeServer*>(listener->data);
    if (self == nullptr || status < 0) return;
    auto connection = std::make_unique<Connection>();
    connection->server = self;
    if (connection->tcp.init(uv_tcp_init, self->loop_) != 0) return;
    connection->tcp.get()->data = connection.get();
    if (uv_accept(listener, connection->tcp.stream()) != 0) return;
    ++self->accepted;
    ++self->open;
    uv_read_start(connection->tcp.stream(), alloc, on_read);
    self->connections_.push_back(std::move(connection));
}

void ProbeServer::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* connection = static_cast<Connection*>(stream->data);
    if (connection != nullptr) connection->server->take(*connection, nread, buf);
}

void ProbeServer::take(Connection& connection, ssize_t nread, const uv_buf_t* buf) {
    if (nread < 0) {  // the probe closed its end
        finish(connection);
        return;
    }
    const bool had_head = connection.head.find("\r\n\r\n") != std::string::npos;
    connection.head.append(buf->base, static_cast<std::size_t>(nread));
    if (had_head || connection.head.find("\r\n\r\n") == std::string::npos) return;
    requests.push_back(connection.head);
    if (mode == Mode::reply) OwnedWrite::start(connection.tcp.stream(), reply, &connection, on_written);
    if (mode == Mode::close_unanswered) finish(connection);
}

void ProbeServer::on_written(uv_write_t* request, int status) {
    const auto owned = OwnedWrite::finished(request);
    if (status == UV_ECANCELED || request->handle->data == nullptr) return;
    auto* connection = static_cast<Connection*>(request->data);
    connection->server->finish(*connection);
}

void ProbeServer::finish(Connection& connection) {
    if (!connection.tcp) return;
    connection.tcp.close();
    --open;
}

}  // namespace corral::test
