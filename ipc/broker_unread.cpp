// The broker's part of the sender throttle: what a sender left unread on the daemon's end of its channel,
// sampled where the broker already reads it (no timer of its own: an idle sender costs nothing).
#include "base/instance_name.hpp"
#include "ipc/broker.hpp"
#include "ipc/broker_parts.hpp"

namespace corral::ipc {

void Broker::watch_unread(const std::string& service, unsigned index,
                          std::function<void(const SenderBacklog&)> listener) {
    Endpoint& sender = slot(service, index);
    sender.unread_listener = std::move(listener);
    sender.unread_sampled = {};
}

std::optional<SenderBacklog> Broker::backlog_of(const std::string& service, unsigned index) const {
    const auto found = endpoints_.find(instance_name(service, index));
    if (found == endpoints_.end() || !found->second->channel || !found->second->channel->open()) return std::nullopt;
    return backlog(*found->second);
}

SenderBacklog Broker::backlog(const Endpoint& sender) const {
    const Channel& channel = *sender.channel;
    SenderBacklog result;
    result.channel = {channel.unread_from_peer(), channel.frame_size(), channel.sender_buffer()};
    result.behind = result.channel.unread;
    for (const Route* route : routes_from(sender.service)) {
        for (const auto& [index, queue] : route->queues) result.behind += queue->unwritten_bytes();
    }
    result.read = channel.reading();
    return result;
}

void Broker::sample_unread(Endpoint& sender) {
    if (!sender.channel || routes_from(sender.service).empty()) return;
    const policies::TimePoint now = policies::Clock::now();
    if (now - sender.unread_sampled < kUnreadSampleGap) return;
    report_behind(sender);
}

void Broker::report_behind(Endpoint& sender) {
    if (!sender.unread_listener || !sender.channel) return;
    sender.unread_sampled = policies::Clock::now();
    // The listener may act on the instance (a cgroup write), never on the broker.
    sender.unread_listener(backlog(sender));
}

}  // namespace corral::ipc
