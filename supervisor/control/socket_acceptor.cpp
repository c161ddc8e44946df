#include "supervisor/control/socket_acceptor.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/fd_reserve.hpp"

namespace corral::supervisor {
namespace {

constexpr int kAcceptsPerWakeup = 64;  // then other work gets its turn
constexpr uint64_t kRetryMs = 200;

}  // namespace

SocketAcceptor::SocketAcceptor(uv_loop_t* loop, std::function<void(int)> on_accept)
    : loop_(loop), on_accept_(std::move(on_accept)) {}

int SocketAcceptor::start(int listening_fd) {
    fd_ = listening_fd;
    if (const int rc = poll_.init(uv_poll_init, loop_, fd_); rc < 0) return rc;
    poll_.get()->data = this;
    if (const int rc = retry_.init(uv_timer_init, loop_); rc < 0) return rc;
    retry_.get()->data = this;
    return uv_poll_start(poll_.get(), UV_READABLE, on_readable);
}

void SocketAcceptor::close() {
    poll_.close();
    retry_.close();
}

void SocketAcceptor::refill() { fd_reserve().refill(); }

void SocketAcceptor::on_readable(uv_poll_t* poll, int, int) { static_cast<SocketAcceptor*>(poll->data)->accept_pending(); }

void SocketAcceptor::on_retry(uv_timer_t* timer) {
    auto* self = static_cast<SocketAcceptor*>(timer->data);
    refill();
    if (self->poll_) uv_poll_start(self->poll_.get(), UV_READABLE, on_readable);
}

void SocketAcceptor::accept_pending() {
    for (int accepted = 0; accepted < kAcceptsPerWakeup;) {
        const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            ++accepted;
            if (std::exchange(starved_, false)) spdlog::info("control socket: accepting connections again");
            on_accept_(fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (out_of_descriptors(errno)) {
            if (fd_reserve().held() > kKeptForStop && fd_reserve().release_one()) continue;
            pause();
            return;
        }
        spdlog::warn("control socket: accept: {}", std::strerror(errno));
        break;
    }
    refill();
}

// Out of descriptors with the reserve spent: the backlog holds the clients until one is free.
void SocketAcceptor::pause() {
    if (!std::exchange(starved_, true)) {
        spdlog::error("control socket: cannot accept a connection: {} (the reserve for clients is in use); clients wait",
                      std::strerror(EMFILE));
    }
    uv_poll_stop(poll_.get());
    if (retry_) uv_timer_start(retry_.get(), on_retry, kRetryMs, 0);
}

}  // namespace corral::supervisor
