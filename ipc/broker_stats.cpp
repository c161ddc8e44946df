// What the broker counts, for `corral status` (the "routes" and "channels" of its status result), and the
// delivery rates it measures on every tick of its prune timer (which also refreshes the journals' marks).
#include "base/instance_name.hpp"
#include "ipc/broker.hpp"
#include "ipc/broker_parts.hpp"

namespace corral::ipc {

void Broker::on_prune(uv_timer_t* timer) {
    auto* self = static_cast<Broker*>(timer->data);
    self->closed_channels_.clear();
    const auto now = policies::Clock::now();
    for (auto& route : self->routes_) {
        for (const auto& [index, queue] : route->queues) {
            const std::uint64_t delivered = queue->counters().delivered;
            auto& mark = route->rate_marks[index];
            const double seconds = std::chrono::duration<double>(now - mark.second).count();
            route->rates[index] = mark.second.time_since_epoch().count() == 0 || seconds <= 0
                                      ? 0.0
                                      : static_cast<double>(delivered - mark.first) / seconds;
            mark = {delivered, now};
            // A second on, what the receiver had read it has handled: the mark's frames in flight are
            // only those still in its socket.
            const Endpoint& receiver = *route->receivers[index];
            if (queue->journaled() && receiver.channel) {
                (void)queue->sync(receiver.channel->unread_by_peer() + receiver.channel->queued() +
                                  receiver.outgoing.size());
            }
        }
    }
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> Broker::sent(const std::string& service, unsigned index) const {
    const auto found = endpoints_.find(instance_name(service, index));
    if (found == endpoints_.end() || !found->second->channel) return std::nullopt;
    return std::pair{found->second->channel->frames_in, found->second->channel->bytes_in};
}

nlohmann::json Broker::stats() const {
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& route : routes_) {
        nlohmann::json destinations = nlohmann::json::array();
        for (const auto& [index, queue] : route->queues) {
            const QueueCounters& c = queue->counters();
            const auto rate = route->rates.find(index);
            destinations.push_back({{"instance", instance_name(route->config.to, index)},
                                    {"received", c.received},
                                    {"delivered", c.delivered},
                                    {"dropped", c.dropped},
                                    {"spilled", c.spilled},
                                    {"queued_messages", queue->queued_messages()},
                                    {"queued_bytes", queue->queued_bytes()},
                                    {"spilled_bytes", queue->spilled_bytes()},
                                    {"blocked", queue->blocked()},
                                    {"persisted", c.persisted},
                                    {"replayed", c.replayed},
                                    {"torn", c.torn},
                                    {"torn_bytes", c.torn_bytes},
                                    {"lost", c.lost},
                                    {"rate", rate == route->rates.end() ? 0.0 : rate->second}});
        }
        routes.push_back({{"from", route->config.from},
                          {"to", route->config.to},
                          {"delivery", route->config.broadcast ? "broadcast" : "round-robin"},
                          {"unaddressable", route->unaddressable},
                          {"destinations", std::move(destinations)}});
    }
    nlohmann::json senders = nlohmann::json::array();
    for (const auto& [name, endpoint] : endpoints_) {
        if (!endpoint->channel) continue;
        const Channel& c = *endpoint->channel;
        senders.push_back({{"instance", name},
                           {"messages", c.frames_in},
                           {"bytes", c.bytes_in},
                           {"malformed", c.malformed},
                           {"internal", c.internal},
                           {"unrouted", c.unrouted},
                           {"reading", c.reading()},
                           {"paced", c.paced()},
                           {"wakeup_reads", c.wakeup_reads},
                           {"paced_reads", c.paced_reads},
                           {"held", endpoint->hold_receive || endpoint->hold_send}});
    }
    return {{"routes", std::move(routes)}, {"channels", std::move(senders)}};
}

}  // namespace corral::ipc
