#include "policies/channel_freeze.hpp"

#include <algorithm>

#include "policies/read_pacing.hpp"

namespace corral::policies {

std::size_t ChannelFreeze::charge(const ChannelLoad& load) {
    const std::size_t frame = std::max<std::size_t>(1, load.frame_size == 0 ? kUnknownFrame : load.frame_size);
    const std::size_t frames = (load.unread + frame - 1) / frame;
    return ReadPacing::load(frames, load.unread);
}

FreezeDecision ChannelFreeze::sample(const ChannelLoad& load) {
    if (load.capacity == 0) {
        if (!frozen_) return FreezeDecision::none;
        frozen_ = false;
        return FreezeDecision::thaw;
    }
    const std::size_t charged = charge(load);
    if (!frozen_) {
        if (charged < load.capacity / kFreezeShare) return FreezeDecision::none;
        frozen_ = true;
        ++freezes_;
        peak_ = charged;
        return FreezeDecision::freeze;
    }
    peak_ = std::max(peak_, charged);
    if (charged > load.capacity / kThawShare) return FreezeDecision::none;
    frozen_ = false;
    return FreezeDecision::thaw;
}

}  // namespace corral::policies
