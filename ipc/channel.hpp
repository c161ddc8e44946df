#pragma once
// The daemon's end of one instance's Node IPC channel (a socketpair; the instance has the other end at
// fd 3). It reads eagerly, so that a sender's backlog never builds up inside Node (whose unsent messages
// cost it ~1.8 KB of RSS per 1 KiB message, outside the V8 heap), splits the bytes into whole frames and
// hands them to its owner; and it writes frames to the instance, reporting how much still waits in the
// socket's user-space queue so that delivery can be paced.
//
// A sender that streams is read on a 1 ms timer instead of on every wake-up (policies/read_pacing.hpp):
// its messages then cost one wake-up per millisecond instead of one per handful of messages.
//
// Ownership: the Broker owns channels; a closed channel is destroyed outside its own callbacks.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/uv_handle.hpp"
#include "ipc/frame_decoder.hpp"
#include "policies/read_pacing.hpp"

namespace corral::ipc {

class Channel {
public:
    struct Events {
        std::function<void(Channel&, std::string_view frame, std::string_view payload)> frame;
        std::function<void(Channel&, FrameError error, std::size_t bytes)> frame_error;
        std::function<void(Channel&)> read_done;  // every frame of one read has been handed out
        std::function<void(Channel&)> writable;   // writes completed: more may be delivered
        std::function<void(Channel&)> closed;     // EOF or an error: the instance is gone or disconnected
    };

    // Takes `fd` (the daemon's end). `name` is the instance ("api#0"). `sender_buffer`: the send buffer of
    // the instance's end, which bounds how long a stream may wait for a tick (0: never paced).
    Channel(uv_loop_t* loop, int fd, std::string name, Serialization mode, std::size_t max_message,
            std::size_t sender_buffer, Events events);
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    const std::string& name() const { return name_; }
    bool open() const { return static_cast<bool>(pipe_); }
    // Reading stops while the queues behind the sender are full (overflow = block, or spill past spill_max).
    void pause_reading();
    void resume_reading();
    bool reading() const { return reading_; }
    bool paced() const { return pacing_.paced(); }
    // Writes frames (several at once are one write). Bytes not yet handed to the kernel: queued(); once
    // they are, `writable` fires (not after a write the kernel took whole at once).
    void write(std::string_view bytes);
    std::size_t queued() const;
    // Bytes written into the socket that the instance has not read yet (SIOCOUTQ; 0 when unknown).
    std::size_t unread_by_peer() const;
    // Bytes the instance wrote that the broker has not read yet (FIONREAD; 0 when unknown).
    std::size_t unread_from_peer() const;
    // The average size of the frames of the last read that had any (0 before one).
    std::size_t frame_size() const { return frame_size_; }
    // The send buffer of the instance's end, as given at construction.
    std::size_t sender_buffer() const { return sender_buffer_; }
    void close();

    std::uint64_t frames_in = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t malformed = 0;  // invalid JSON, bad headers, oversized: dropped
    std::uint64_t internal = 0;   // Node's internal messages (NODE_*): dropped
    std::uint64_t unrouted = 0;   // no route, or an address that is not a route: dropped
    std::uint64_t wakeup_reads = 0;  // reads when the socket had data
    std::uint64_t paced_reads = 0;   // ticks of a paced channel

private:
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_written(uv_write_t* request, int status);
    static void on_tick(uv_timer_t* timer);
    // Returns false when the channel ended (the owner has been told and may destroy it).
    bool handle_read(ssize_t nread, const char* bytes);
    void start_reading();
    void stop_reading();
    void read_paced();

    std::string name_;
    Events events_;
    FrameDecoder decoder_;
    FrameDecoder::Sink sink_;
    UvHandle<uv_pipe_t> pipe_;
    UvHandle<uv_timer_t> tick_;  // reads a paced channel
    policies::ReadPacing pacing_;
    std::size_t sender_buffer_ = 0;
    std::size_t frame_size_ = 0;
    bool reading_ = false;  // the owner wants it read
    std::size_t in_flight_ = 0;  // uv_write requests not completed
};

}  // namespace corral::ipc
