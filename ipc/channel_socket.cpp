#include "ipc/channel_socket.hpp"

#include <sys/socket.h>

namespace corral::ipc {
namespace {

std::size_t widen_send_buffer(int fd, int size) {
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &granted, &length) != 0 || granted < 0) return 0;
    return static_cast<std::size_t>(granted);
}

}  // namespace

Result<ChannelSocket> make_channel_socket(int send_buffer) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return sys_error("create", "a socket pair");
    ChannelSocket socket{UniqueFd(pair[0]), UniqueFd(pair[1]), 0};
    socket.their_send_buffer = widen_send_buffer(socket.theirs.get(), send_buffer);
    return socket;
}

}  // namespace corral::ipc
