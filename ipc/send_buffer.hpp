#pragma once
// The send buffer of an instance's end of its IPC channel.
//
// Node writes one message per send(); on a Unix stream socket each is its own skb, charged to the
// sender's SO_SNDBUF at its true size (about 2.3 KB for a 1 KiB message). With the default 208 KiB, about
// 90 messages fit, and Node only flushes its write queue once per turn of its event loop: a sender that
// send()s thousands of messages per turn keeps the rest in its own memory, however eagerly the broker
// reads (the article's leak). With a wide buffer each flush hands the broker thousands of messages, and a
// sender that writes in bursts (2000 messages per turn of its loop: 4.6 MB) can run ahead of the broker by
// several bursts before Node keeps anything. The memory is kernel socket buffers, used only while the
// broker is behind.
#include <cstddef>

namespace corral::ipc {

inline constexpr int kInstanceSendBuffer = 16 << 20;  // the kernel doubles it

// SO_SNDBUFFORCE when permitted (CAP_NET_ADMIN), else SO_SNDBUF (capped at net.core.wmem_max). Best
// effort: the channel works either way. Returns the size the kernel gave (0 if it cannot be read).
std::size_t widen_send_buffer(int fd);

}  // namespace corral::ipc
