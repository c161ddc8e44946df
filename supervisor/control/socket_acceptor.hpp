#pragma once
// Accepts the connections of a listening socket without ever depending on a spare descriptor.
//
// libuv's own listener handles EMFILE by closing its reserve descriptor, accepting every pending
// connection and closing it at once: at the descriptor limit each client is hung up on without a word.
// Here, when accept() fails for want of a descriptor, one descriptor of the process's reserve
// (base/fd_reserve.hpp) is given back and the connection is accepted and served; the reserve is taken
// back when descriptors are free again (refill()). Clients may take the reserve down to kKeptForStop
// descriptors, which stay for the cgroup files of stop and kill. Past that, accepting pauses and is
// retried on a timer: clients wait in the listen backlog instead of being dropped.
//
// Ownership: the listening descriptor belongs to the caller and must outlive the acceptor (or close() it
// first); every accepted descriptor is handed to `on_accept`, which owns it from then on.
#include <uv.h>

#include <cstddef>
#include <functional>

#include "base/uv_handle.hpp"

namespace corral::supervisor {

class SocketAcceptor {
public:
    static constexpr std::size_t kKeptForStop = 4;

    SocketAcceptor(uv_loop_t* loop, std::function<void(int fd)> on_accept);
    SocketAcceptor(const SocketAcceptor&) = delete;
    SocketAcceptor& operator=(const SocketAcceptor&) = delete;

    // Starts accepting on `listening_fd` (already listening); a libuv error code.
    int start(int listening_fd);
    void close();
    // Takes the reserve back after descriptors were freed (a connection closed).
    static void refill();

private:
    static void on_readable(uv_poll_t* poll, int status, int events);
    static void on_retry(uv_timer_t* timer);
    void accept_pending();
    void pause();

    uv_loop_t* loop_;
    std::function<void(int)> on_accept_;
    int fd_ = -1;
    UvHandle<uv_poll_t> poll_;
    UvHandle<uv_timer_t> retry_;
    bool starved_ = false;  // logged that connections wait for a descriptor
};

}  // namespace corral::supervisor
