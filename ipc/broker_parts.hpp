#pragma once
// The broker's own records, shared by the files that implement it (broker.cpp: instances that come and
// go; broker_routes.cpp: the route table and which queue a message joins; broker_delivery.cpp: from the
// queues to the receivers; broker_stats.cpp: what `corral status` shows). Nothing outside them uses these.
//
// An Endpoint is one instance as the broker knows it: created on first use (attach, hold, or a route
// towards it) and kept until close(), so that the routes' pointers to it stay valid while the instance
// restarts; its channel is there only while the instance runs. A Route owns one queue per receiving
// instance; `receivers` names the Endpoint of each, in the same order.
#include <cstdint>
#include <filesystem>
#include <map>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ipc/broker.hpp"

namespace corral::ipc {

// Logs the 1st, 10th, 100th, ... occurrence of a recurring problem.
inline bool worth_logging(std::uint64_t count) {
    while (count >= 10 && count % 10 == 0) count /= 10;
    return count == 1;
}

// Adopts the journal an earlier daemon left for `queue` (of route `label`, towards instance `receiver`),
// and logs what it replays, cuts and counts as lost (broker_backlog.cpp).
void adopt_journal(const std::string& label, const std::string& receiver, DeliveryQueue& queue);

struct Broker::Endpoint {
    std::string service;
    unsigned index = 0;
    std::string name;
    std::unique_ptr<Channel> channel;  // null while the instance is not running
    Serialization mode = Serialization::json;
    ChannelId channel_id = 0;
    AttachOptions options;  // of `channel`
    // The instance's channels besides the receiving one: a replacement not promoted yet, and those before
    // it, read (never written to) until they close.
    struct Other {
        std::unique_ptr<Channel> channel;
        ChannelId id = 0;
        Serialization mode = Serialization::json;
        AttachOptions options;
    };
    std::vector<Other> others;

    // The mode and options of `of`, one of its channels.
    Serialization mode_of(const Channel& of) const {
        for (const auto& other : others) {
            if (other.channel.get() == &of) return other.mode;
        }
        return mode;
    }
    AttachOptions& options_of(const Channel& of) {
        for (auto& other : others) {
            if (other.channel.get() == &of) return other.options;
        }
        return options;
    }
    bool hold_receive = false;
    bool hold_send = false;
    std::uint64_t paused_full = 0;  // times reading stopped because its routes were full (logged sparingly)
    // Frames handed to this receiver and not yet written: written at the end of the read that produced
    // them, or of the delivery turn. Never more than kHighWater plus one frame.
    std::string outgoing;
    // Told what the sender left unread on our end, at most every kUnreadSampleGap, after a read
    // (broker_unread.cpp); empty: nobody asks.
    std::function<void(const SenderBacklog&)> unread_listener;
    policies::TimePoint unread_sampled{};

    // Can take another frame now: its socket's user-space queue and what waits to be written are under
    // the high-water mark.
    bool ready() const {
        return channel && channel->open() && !hold_receive && channel->queued() + outgoing.size() < kHighWater;
    }
};

struct Broker::Route {
    Broker* broker = nullptr;
    RouteConfig config;
    std::map<unsigned, std::unique_ptr<DeliveryQueue>> queues;  // per receiving instance
    std::vector<Endpoint*> receivers;                           // per receiving instance, as queues
    policies::RouteLimiter limiter;
    unsigned next = 0;              // round-robin cursor
    std::uint64_t unaddressable = 0;  // "$to" named an instance that does not exist
    std::uint64_t sync_errors = 0;    // the journal's batch or mark could not be written
    UvHandle<uv_timer_t> retry;
    // Per receiving instance: delivered at the last tick of the prune timer, and the rate since the one before.
    std::map<unsigned, std::pair<std::uint64_t, policies::TimePoint>> rate_marks;
    std::map<unsigned, double> rates;

    std::string label() const { return config.from + " -> " + config.to; }
    // A queue for each receiving instance 0..count-1: new ones empty (spilling into `spill_dir`), kept ones
    // with the limits of `config`. What the queues of instances scaled away hold goes to the others.
    void fit_queues(unsigned count, const std::filesystem::path& spill_dir);
    std::size_t queued_messages() const;
};

}  // namespace corral::ipc
