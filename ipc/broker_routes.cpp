// The broker's route table (configure) and the way from a frame read to the queue it joins: validation of
// json messages, the route a sender's message takes ("$to" or its only route), and the receiving instance
// (addressed, round-robin or every one).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "ipc/broker.hpp"
#include "ipc/broker_parts.hpp"
#include "ipc/json_message.hpp"

namespace corral::ipc {

void Broker::configure(BrokerConfig config) {
    deliver_pending();
    std::vector<std::unique_ptr<Route>> next;
    const auto now = policies::Clock::now();
    for (const RouteConfig& wanted : config.routes) {
        std::unique_ptr<Route> route = take_route(wanted, now);
        const unsigned count = config.instances.contains(wanted.to) ? config.instances.at(wanted.to) : 0;
        route->fit_queues(count, config.spill_dir);
        route->receivers.clear();
        for (unsigned index = 0; index < count; ++index) route->receivers.push_back(&slot(wanted.to, index));
        next.push_back(std::move(route));
    }
    for (auto& removed : routes_) {
        if (!removed) continue;
        const std::size_t queued = removed->queued_messages();
        if (queued > 0) {
            spdlog::warn("ipc {}: route removed with {} queued message(s); what was spilled stays on disk for when it "
                         "comes back", removed->label(), queued);
        }
        removed->retry.close();
    }
    routes_ = std::move(next);
    routes_by_sender_.clear();
    for (auto& route : routes_) routes_by_sender_[route->config.from].push_back(route.get());
    config_ = std::move(config);
    for (auto& [name, endpoint] : endpoints_) {
        if (endpoint->channel) deliver_to(endpoint->service, endpoint->index);
    }
}

std::unique_ptr<Broker::Route> Broker::take_route(const RouteConfig& wanted, policies::TimePoint now) {
    auto old = std::find_if(routes_.begin(), routes_.end(), [&](const auto& r) {
        return r && r->config.from == wanted.from && r->config.to == wanted.to;
    });
    std::unique_ptr<Route> route;
    if (old != routes_.end()) {
        route = std::move(*old);
        if (route->config.rate != wanted.rate) route->limiter = policies::RouteLimiter(wanted.rate, now);
    } else {
        route = std::make_unique<Route>();
        route->broker = this;
        route->limiter = policies::RouteLimiter(wanted.rate, now);
        if (route->retry.init(uv_timer_init, loop_) == 0) route->retry.get()->data = route.get();
    }
    route->config = wanted;
    return route;
}

void Broker::Route::fit_queues(unsigned count, const std::filesystem::path& spill_dir) {
    for (unsigned index = 0; index < count; ++index) {
        auto& queue = queues[index];
        if (!queue) {
            const auto journal = spill_dir / (config.from + "-to-" + config.to + "-" + std::to_string(index) + ".journal");
            queue = std::make_unique<DeliveryQueue>(config.queue, journal, broker->writer_.get());
            adopt_journal(label(), config.to + "#" + std::to_string(index), *queue);
        } else {
            queue->set_limits(config.queue);
        }
    }
    // Queues of instances scaled away: what they hold goes to the remaining instances.
    for (auto it = queues.begin(); it != queues.end();) {
        if (it->first < count) {
            ++it;
            continue;
        }
        std::unique_ptr<DeliveryQueue> gone = std::move(it->second);
        it = queues.erase(it);
        std::uint64_t moved = 0;
        for (const std::string* frame = gone->front(); frame != nullptr && count > 0; frame = gone->front()) {
            queues[moved++ % count]->push(*frame);
            gone->pop();
        }
        if (!gone->empty()) spdlog::warn("ipc {}: {} queued message(s) dropped with their instance", label(), gone->queued_messages());
    }
}

std::size_t Broker::Route::queued_messages() const {
    std::size_t queued = 0;
    for (const auto& [index, queue] : queues) queued += queue->queued_messages();
    return queued;
}

const std::vector<Broker::Route*>& Broker::routes_from(const std::string& service) const {
    static const std::vector<Route*> none;
    const auto found = routes_by_sender_.find(service);
    return found == routes_by_sender_.end() ? none : found->second;
}

void Broker::on_frame(Endpoint& sender, Channel& channel, std::string_view frame, std::string_view payload) {
    std::optional<std::string> to;
    if (sender.mode_of(channel) == Serialization::json && !admit_json(sender, channel, payload, to)) return;
    const std::vector<Route*>& routes = routes_from(sender.service);
    std::optional<unsigned> index;
    Route* route = to                   ? addressed_route(routes, *to, index)
                   : routes.size() == 1 ? routes.front()
                                        : nullptr;
    if (route == nullptr) {
        ++channel.unrouted;
        if (worth_logging(channel.unrouted)) {
            const std::string why = routes.empty()           ? "it has no route"
                                    : to                     ? "\"$to\": \"" + *to + "\" is not one of its routes"
                                                             : "it has several routes and the message has no \"$to\"";
            spdlog::warn("ipc: dropped a message from {}: {} ({} so far)", sender.name, why, channel.unrouted);
        }
        return;
    }
    enqueue(*route, index, frame);
}

bool Broker::admit_json(Endpoint& sender, Channel& channel, std::string_view payload, std::optional<std::string>& to) {
    JsonMessage message = inspect_json_message(payload);
    if (!message.valid) {
        ++channel.malformed;
        if (worth_logging(channel.malformed)) {
            spdlog::warn("ipc: dropped a malformed message from {} ({}; {} so far)", sender.name, message.error,
                         channel.malformed);
        }
        return false;
    }
    if (take_notice(sender, channel, message, payload)) return false;
    if (message.internal) {
        ++channel.internal;
        return false;
    }
    to = std::move(message.to);
    return true;
}

bool Broker::take_notice(Endpoint& sender, Channel& channel, const JsonMessage& message, std::string_view payload) {
    AttachOptions& options = sender.options_of(channel);
    if (payload == "\"ready\"" && (options.ready_message || routes_from(sender.service).empty())) {
        // Said for corral (ready = "message"), or for pm2 by an app that has nowhere to send it: not a
        // message to drop with a warning at every start.
        if (options.ready_message && options.notices) options.notices({InstanceNotice::Kind::ready, {}});
        options.ready_message = false;
        return true;
    }
    if (!message.internal) return false;
    if (message.cmd == "NODE_CORRAL_RUNTIME") {
        if (options.notices) options.notices({InstanceNotice::Kind::runtime, std::string(payload)});
        return true;
    }
    if (message.cmd != "NODE_CORRAL_LISTENING") return false;
    const nlohmann::json parsed = nlohmann::json::parse(payload, nullptr, false);
    const auto address = parsed.is_object() ? parsed.find("address") : parsed.end();
    if (address != parsed.end() && address->is_string() && options.notices) {
        options.notices({InstanceNotice::Kind::listening, address->get<std::string>()});
    }
    return true;
}

Broker::Route* Broker::addressed_route(const std::vector<Route*>& routes, const std::string& to,
                                       std::optional<unsigned>& index) {
    const auto hash = to.find('#');
    const std::string service = to.substr(0, hash);
    Route* route = nullptr;
    for (Route* candidate : routes) {
        if (candidate->config.to == service) route = candidate;
    }
    if (route == nullptr || hash == std::string::npos) return route;
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(to.data() + hash + 1, to.data() + to.size(), value);
    if (ec != std::errc() || end != to.data() + to.size()) return nullptr;
    index = value;
    return route;
}

void Broker::enqueue(Route& route, std::optional<unsigned> index, std::string_view frame) {
    const auto count = static_cast<unsigned>(route.queues.size());
    if (count == 0) return;
    bool blocked = false;
    if (index) {
        if (*index >= count) {
            ++route.unaddressable;
            return;
        }
        blocked = offer(route, *index, frame);
    } else if (route.config.broadcast) {
        for (unsigned target = 0; target < count; ++target) blocked = offer(route, target, frame) || blocked;
    } else {
        // Round-robin over the instances that can take it now; when none can, over all of them.
        unsigned pick = route.next % count;
        for (unsigned step = 0; step < count; ++step) {
            const unsigned candidate = (route.next + step) % count;
            const Endpoint& receiver = *route.receivers[candidate];
            if (receiver.channel && !receiver.hold_receive) {
                pick = candidate;
                break;
            }
        }
        route.next = pick + 1;
        blocked = offer(route, pick, frame);
    }
    if (blocked) update_reading(route.config.from);
}

}  // namespace corral::ipc
