#include "policies/channel_freeze.hpp"

#include <doctest/doctest.h>

using namespace corral::policies;

namespace {

constexpr std::size_t kCapacity = 64u << 20;  // what the kernel gives a 32 MiB SO_SNDBUFFORCE

// `unread` bytes of 1000-byte frames: charged 3,024 bytes each.
ChannelLoad kilobyte_frames(std::size_t unread) { return {unread, 1000, kCapacity}; }

}  // namespace

TEST_CASE("channel freeze: the charge counts each frame's overhead, so small frames fill a socket sooner") {
    CHECK(ChannelFreeze::charge({1000, 1000, kCapacity}) == 3024);
    CHECK(ChannelFreeze::charge({1000, 100, kCapacity}) == 2000 + 10 * 1024);
    // Nothing read yet: small frames are assumed.
    CHECK(ChannelFreeze::charge({640, 0, kCapacity}) == 1280 + 10 * 1024);
    CHECK(ChannelFreeze::charge({0, 1000, kCapacity}) == 0);
}

TEST_CASE("channel freeze: frozen at a quarter of the capacity, thawed once read down to a sixteenth") {
    ChannelFreeze freeze;
    CHECK(freeze.sample(kilobyte_frames(1u << 20)) == FreezeDecision::none);
    // 5,000 frames: 15.1 MB charged, below 16 MiB.
    CHECK(freeze.sample(kilobyte_frames(5'000'000)) == FreezeDecision::none);
    CHECK(freeze.sample(kilobyte_frames(6'000'000)) == FreezeDecision::freeze);
    CHECK(freeze.frozen());
    CHECK(freeze.freezes() == 1);
    // Read down, but not far enough: it stays frozen (a thaw now would refill it at once).
    CHECK(freeze.sample(kilobyte_frames(2'000'000)) == FreezeDecision::none);
    CHECK(freeze.sample(kilobyte_frames(7'000'000)) == FreezeDecision::none);
    CHECK(freeze.peak_charge() == ChannelFreeze::charge(kilobyte_frames(7'000'000)));
    CHECK(freeze.sample(kilobyte_frames(1'000'000)) == FreezeDecision::thaw);
    CHECK_FALSE(freeze.frozen());
    CHECK(freeze.sample(kilobyte_frames(6'000'000)) == FreezeDecision::freeze);
    CHECK(freeze.freezes() == 2);
}

TEST_CASE("channel freeze: 100-byte frames freeze the sender with far fewer bytes unread") {
    ChannelFreeze freeze;
    // 1.5 MB of 100-byte frames: 15,000 frames, charged 18.4 MB by the estimate.
    CHECK(freeze.sample({1'500'000, 100, kCapacity}) == FreezeDecision::freeze);
}

TEST_CASE("channel freeze: an unknown capacity never freezes, and thaws a frozen sender") {
    ChannelFreeze freeze;
    CHECK(freeze.sample({1u << 30, 1000, 0}) == FreezeDecision::none);
    CHECK(freeze.sample(kilobyte_frames(10'000'000)) == FreezeDecision::freeze);
    CHECK(freeze.sample({1u << 30, 1000, 0}) == FreezeDecision::thaw);
}

TEST_CASE("channel freeze: a release forgets the freeze, and the next sample decides afresh") {
    ChannelFreeze freeze;
    CHECK(freeze.sample(kilobyte_frames(10'000'000)) == FreezeDecision::freeze);
    freeze.release();
    CHECK_FALSE(freeze.frozen());
    CHECK(freeze.sample(kilobyte_frames(10'000'000)) == FreezeDecision::freeze);
    CHECK(freeze.freezes() == 2);
}

TEST_CASE("channel freeze: a freeze that could not be carried out is not counted") {
    ChannelFreeze freeze;
    CHECK(freeze.sample(kilobyte_frames(10'000'000)) == FreezeDecision::freeze);
    freeze.failed();
    CHECK_FALSE(freeze.frozen());
    CHECK(freeze.freezes() == 0);
    CHECK(freeze.sample(kilobyte_frames(10'000'000)) == FreezeDecision::freeze);
    CHECK(freeze.freezes() == 1);
}
