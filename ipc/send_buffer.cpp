#include "ipc/send_buffer.hpp"

#include <sys/socket.h>

namespace corral::ipc {

std::size_t widen_send_buffer(int fd) {
    const int size = kInstanceSendBuffer;
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &granted, &length) != 0 || granted < 0) return 0;
    return static_cast<std::size_t>(granted);
}

}  // namespace corral::ipc
