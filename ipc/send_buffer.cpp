#include "ipc/send_buffer.hpp"

#include <sys/socket.h>

namespace corral::ipc {

void widen_send_buffer(int fd) {
    const int size = kInstanceSendBuffer;
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) == 0) return;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

}  // namespace corral::ipc
