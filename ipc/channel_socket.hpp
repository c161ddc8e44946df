#pragma once
// The socket pair of an instance's Node IPC channel. Node needs a socket: with a pipe the child silently
// disconnects. Ownership: both ends come back as UniqueFds; the instance's end is handed to the child at
// fd 3 (the daemon closes its copy after the spawn), the daemon's end to the broker.
//
// The send buffer of the instance's end is widened. Node writes one message per send(); on a Unix stream
// socket each is its own skb, charged to the sender's SO_SNDBUF at its true size (about 2.3 KB for a 1 KiB
// message). With the default 208 KiB, about 90 messages fit, and Node only flushes its write queue once per
// turn of its event loop: a sender that send()s thousands of messages per turn keeps the rest in its own
// memory, however eagerly the broker reads (the article's leak). With a wide buffer each flush hands the
// broker thousands of messages, and a sender that writes in bursts (2000 messages per turn of its loop:
// 4.6 MB) can run ahead of the broker by several bursts before Node keeps anything. The memory is kernel
// socket buffers, used only while the broker is behind, and charged to the sender's cgroup (measured on
// Linux 6.18: 29,128 messages of 1,000 bytes filled the 64 MiB buffer, and the sender's memory cgroup grew
// by 64.5 MiB). A sender whose buffer is a quarter full is frozen (policies::ChannelFreeze); the rest lets
// it run on while the daemon cannot act at all (stopped, or waiting for a CPU): ~140 ms of a sender that
// writes 1 KiB messages flat out (~150,000 per second).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"

namespace corral::ipc {

inline constexpr int kInstanceSendBuffer = 32 << 20;  // the kernel doubles it
inline constexpr int kMinInstanceSendBuffer = 1 << 20;

// What is asked for an instance's end. Since the kernel doubles it and charges it to the sender's memory
// cgroup, a service with a memory limit gets at most an eighth of memory.max for messages waiting for
// the broker (a 256 MiB service: 32 MiB), so that its own unread messages cannot take it to an OOM kill
// while the daemon cannot read them.
inline int instance_send_buffer(std::optional<std::uint64_t> memory_max) {
    if (!memory_max) return kInstanceSendBuffer;
    const std::uint64_t sixteenth = *memory_max / 16;
    return static_cast<int>(std::clamp<std::uint64_t>(sixteenth, kMinInstanceSendBuffer, kInstanceSendBuffer));
}

struct ChannelSocket {
    UniqueFd ours;    // the daemon's end, for the broker
    UniqueFd theirs;  // the instance's end, for fd 3 of its process
    // The send buffer the kernel gave the instance's end (0 if it cannot be read).
    std::size_t their_send_buffer = 0;
};

// A close-on-exec AF_UNIX stream pair. The instance's end gets `send_buffer` with SO_SNDBUFFORCE when permitted
// (CAP_NET_ADMIN), else SO_SNDBUF (capped at net.core.wmem_max); best effort: the channel works either way.
Result<ChannelSocket> make_channel_socket(int send_buffer = kInstanceSendBuffer);

}  // namespace corral::ipc
