#pragma once
// When corral freezes a sender whose channel is filling, and when it thaws it (pure).
//
// What a sender writes waits in its socket until the broker reads it. Once the socket is full, Node keeps
// every further send() in the sender's own memory, and that queue does not drain while the sender keeps
// sending: libuv writes at most 33 queued messages each time the socket turns writable, once per turn of
// the sender's event loop, while a sender that sends in a loop adds hundreds or thousands per turn. Capping
// its CPU changes neither side of that ratio. So a sender must not run once its socket is filling: it is
// frozen (its cgroup) at 1/kFreezeShare of the socket's capacity, and thawed once the broker has read it
// down to 1/kThawShare. The other three quarters are for when corral cannot act at all (stopped, or waiting
// for a CPU): the sender runs on meanwhile. Frozen, it loses nothing: what it sent waits in
// the socket, and its next send() happens once it is thawed.
//
// The kernel charges a sender for each message it writes at the size of the buffer holding it, not its
// bytes: about 2.3 KB for a 1 KiB message, 0.7 KB for a 100-byte one. The broker sees only the bytes
// (FIONREAD), so the charge is estimated from the size of the frames it last read from that sender, with
// ReadPacing's count (twice the bytes plus an overhead per frame: more than the kernel charges).
#include <cstddef>
#include <cstdint>

namespace corral::policies {

// A sender's channel as the broker sees it.
struct ChannelLoad {
    std::size_t unread = 0;      // bytes on the daemon's end, not yet read (FIONREAD)
    std::size_t frame_size = 0;  // average size of the frames last read from it (0: none read yet)
    std::size_t capacity = 0;    // the send buffer of the sender's end (0: unknown, never frozen)
};

enum class FreezeDecision { none, freeze, thaw };

class ChannelFreeze {
public:
    static constexpr std::size_t kUnknownFrame = 64;  // the frame size assumed before any was read
    static constexpr std::size_t kFreezeShare = 4;   // frozen at 1/4 of the capacity
    static constexpr std::size_t kThawShare = 16;    // thawed at 1/16

    // What the kernel charges the sender for `load.unread` bytes, at most.
    static std::size_t charge(const ChannelLoad& load);

    FreezeDecision sample(const ChannelLoad& load);
    // The sender is gone or may not be frozen (it is being stopped): frozen no more.
    void release() { frozen_ = false; }
    // The freeze it just decided could not be carried out (the cgroup write failed): neither frozen nor
    // counted; the next sample decides again.
    void failed() {
        if (!frozen_) return;
        frozen_ = false;
        --freezes_;
    }

    bool frozen() const { return frozen_; }
    std::uint64_t freezes() const { return freezes_; }
    // While frozen (or, once thawed, during the last freeze): the most estimated charge seen.
    std::size_t peak_charge() const { return peak_; }

private:
    bool frozen_ = false;
    std::uint64_t freezes_ = 0;
    std::size_t peak_ = 0;
};

}  // namespace corral::policies
