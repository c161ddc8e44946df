#include "ipc/broker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "base/instance_name.hpp"
#include "ipc/json_message.hpp"

namespace corral::ipc {

namespace {

constexpr uint64_t kPruneMs = 1'000;
// Each delivery turn writes at most this much to one receiver before letting the loop go on.
constexpr std::size_t kMaxTurnBytes = 1 << 20;
// libuv's timers count whole milliseconds and may fire up to one early: the retry timer's wake-up admits that.
constexpr policies::Duration kTimerGranularity{1};

// Logs the 1st, 10th, 100th, ... occurrence of a recurring problem.
bool worth_logging(std::uint64_t count) {
    while (count >= 10 && count % 10 == 0) count /= 10;
    return count == 1;
}


}  // namespace

struct Broker::Endpoint {
    std::string service;
    unsigned index = 0;
    std::string name;
    std::unique_ptr<Channel> channel;  // null while the instance is not running
    Serialization mode = Serialization::json;
    bool hold_receive = false;
    bool hold_send = false;
    // Frames handed to this receiver and not yet written: written at the end of the read that produced
    // them, or of the delivery turn. Never more than kHighWater plus one frame.
    std::string outgoing;

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
    UvHandle<uv_timer_t> retry;
    // Per receiving instance: delivered at the last tick of the prune timer, and the rate since the one before.
    std::map<unsigned, std::pair<std::uint64_t, policies::TimePoint>> rate_marks;
    std::map<unsigned, double> rates;

    std::string label() const { return config.from + " -> " + config.to; }
};

Broker::Broker(uv_loop_t* loop, BrokerConfig config) : loop_(loop) {
    if (prune_timer_.init(uv_timer_init, loop_) == 0) {
        prune_timer_.get()->data = this;
        uv_timer_start(prune_timer_.get(), on_prune, kPruneMs, kPruneMs);
        uv_unref(prune_timer_.base());
    }
    if (flush_.init(uv_check_init, loop_) == 0) flush_.get()->data = this;
    if (again_.init(uv_idle_init, loop_) == 0) again_.get()->data = this;
    configure(std::move(config));
}

Broker::~Broker() { close(); }

void Broker::close() {
    for (auto& [name, endpoint] : endpoints_) {
        if (endpoint->channel) endpoint->channel->close();
    }
    flushing_.clear();
    endpoints_.clear();
    closed_channels_.clear();
    for (auto& route : routes_) route->retry.close();
    pending_.clear();
    routes_by_sender_.clear();
    routes_.clear();
    prune_timer_.close();
    flush_.close();
    again_.close();
}

void Broker::configure(BrokerConfig config) {
    deliver_pending();
    std::vector<std::unique_ptr<Route>> next;
    const auto now = policies::Clock::now();
    for (const RouteConfig& wanted : config.routes) {
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
        const unsigned count = config.instances.contains(wanted.to) ? config.instances.at(wanted.to) : 0;
        for (unsigned index = 0; index < count; ++index) {
            auto& queue = route->queues[index];
            if (!queue) {
                const auto journal = config.spill_dir / (wanted.from + "-to-" + wanted.to + "-" + std::to_string(index) + ".journal");
                queue = std::make_unique<DeliveryQueue>(wanted.queue, journal);
            } else {
                queue->set_limits(wanted.queue);
            }
        }
        route->receivers.clear();
        for (unsigned index = 0; index < count; ++index) route->receivers.push_back(&slot(wanted.to, index));
        // Queues of instances scaled away: what they hold goes to the remaining instances.
        for (auto it = route->queues.begin(); it != route->queues.end();) {
            if (it->first < count) {
                ++it;
                continue;
            }
            std::unique_ptr<DeliveryQueue> gone = std::move(it->second);
            it = route->queues.erase(it);
            std::uint64_t moved = 0;
            for (const std::string* frame = gone->front(); frame != nullptr && count > 0; frame = gone->front()) {
                route->queues[moved++ % count]->push(*frame);
                gone->pop();
            }
            if (!gone->empty()) spdlog::warn("ipc {}: {} queued message(s) dropped with their instance", route->label(), gone->queued_messages());
        }
        next.push_back(std::move(route));
    }
    for (auto& removed : routes_) {
        if (!removed) continue;
        std::size_t queued = 0;
        for (const auto& [index, queue] : removed->queues) queued += queue->queued_messages();
        if (queued > 0) spdlog::warn("ipc {}: route removed with {} queued message(s)", removed->label(), queued);
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

Broker::Endpoint* Broker::endpoint(const std::string& service, unsigned index) {
    const auto found = endpoints_.find(instance_name(service, index));
    return found == endpoints_.end() ? nullptr : found->second.get();
}

Broker::Endpoint& Broker::slot(const std::string& service, unsigned index) {
    auto& slot = endpoints_[instance_name(service, index)];
    if (!slot) {
        slot = std::make_unique<Endpoint>();
        slot->service = service;
        slot->index = index;
        slot->name = instance_name(service, index);
    }
    return *slot;
}

const std::vector<Broker::Route*>& Broker::routes_from(const std::string& service) const {
    static const std::vector<Route*> none;
    const auto found = routes_by_sender_.find(service);
    return found == routes_by_sender_.end() ? none : found->second;
}

void Broker::attach(const std::string& service, unsigned index, Serialization mode, int fd, std::size_t sender_buffer) {
    Endpoint* self = &slot(service, index);
    if (self->channel) closed_channels_.push_back(std::move(self->channel));
    self->mode = mode;
    Channel::Events events;
    events.frame = [this, self](Channel&, std::string_view frame, std::string_view payload) { on_frame(*self, frame, payload); };
    events.frame_error = [this, self](Channel& channel, FrameError error, std::size_t bytes) {
        if (!worth_logging(channel.malformed)) return;
        if (error == FrameError::too_large) {
            spdlog::error("ipc: dropped a message of {} bytes from {}: larger than max_message ({} bytes; {} dropped so far)",
                          bytes, self->name, config_.max_message, channel.malformed);
        } else {
            spdlog::warn("ipc: dropped a malformed frame of {} bytes from {} ({} so far)", bytes, self->name,
                         channel.malformed);
        }
    };
    events.read_done = [this](Channel&) { flush_outgoing(); };
    events.writable = [this, self](Channel&) { deliver_to(self->service, self->index); };
    events.closed = [this, self](Channel&) {
        // Inside the channel's own callback: it is destroyed later, by the prune timer.
        if (self->channel) closed_channels_.push_back(std::move(self->channel));
    };
    self->channel = std::make_unique<Channel>(loop_, fd, self->name, mode, config_.max_message, sender_buffer,
                                              std::move(events));
    update_reading(service);
    deliver_to(service, index);
}

void Broker::detach(const std::string& service, unsigned index) {
    Endpoint* self = endpoint(service, index);
    if (self == nullptr || !self->channel) return;
    self->channel->close();
    closed_channels_.push_back(std::move(self->channel));
}

void Broker::hold(const std::string& service, unsigned index, bool receive, bool send) {
    Endpoint& self = slot(service, index);
    self.hold_receive = receive;
    self.hold_send = send;
    update_reading(service);
    if (!receive) deliver_to(service, index);
}

void Broker::on_frame(Endpoint& sender, std::string_view frame, std::string_view payload) {
    Channel& channel = *sender.channel;
    std::optional<std::string> to;
    if (sender.mode == Serialization::json) {
        JsonMessage message = inspect_json_message(payload);
        if (!message.valid) {
            ++channel.malformed;
            if (worth_logging(channel.malformed)) {
                spdlog::warn("ipc: dropped a malformed message from {} ({}; {} so far)", sender.name, message.error,
                             channel.malformed);
            }
            return;
        }
        if (message.internal) {
            ++channel.internal;
            return;
        }
        to = std::move(message.to);
    }
    const std::vector<Route*>& routes = routes_from(sender.service);
    Route* route = nullptr;
    std::optional<unsigned> index;
    if (to) {
        const auto hash = to->find('#');
        const std::string service = to->substr(0, hash);
        for (Route* candidate : routes) {
            if (candidate->config.to == service) route = candidate;
        }
        if (route != nullptr && hash != std::string::npos) {
            unsigned value = 0;
            const auto [end, ec] = std::from_chars(to->data() + hash + 1, to->data() + to->size(), value);
            if (ec == std::errc() && end == to->data() + to->size()) index = value;
            else route = nullptr;
        }
    } else if (routes.size() == 1) {
        route = routes.front();
    }
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

bool Broker::offer(Route& route, unsigned target, std::string_view frame) {
    DeliveryQueue& queue = *route.queues[target];
    Endpoint& receiver = *route.receivers[target];
    // Nothing waits before it and the receiver can take it: straight to the receiver, written at the
    // end of this read.
    if (queue.empty() && receiver.ready() &&
        (!route.config.rate.limited() || route.limiter.admit(frame.size(), policies::Clock::now(), kTimerGranularity))) {
        queue.pass();
        if (receiver.outgoing.empty()) flushing_.push_back(&receiver);
        receiver.outgoing.append(frame);
        return false;
    }
    const std::uint64_t dropped = queue.counters().dropped;
    queue.push(frame);
    if (queue.counters().dropped > dropped && worth_logging(queue.counters().dropped)) {
        spdlog::warn("ipc {}: queue of {}#{} full, dropped {} message(s) so far ({})", route.label(), route.config.to,
                     target, queue.counters().dropped,
                     route.config.queue.overflow == Overflow::drop_oldest ? "drop-oldest" : "drop-newest");
    }
    if (const auto& error = queue.journal_error(); error && worth_logging(queue.counters().received)) {
        spdlog::error("ipc {}: cannot spill to disk ({}); keeping messages in memory", route.label(), error->message());
    }
    // Delivered after this turn of the loop has read every channel: one write carries many frames.
    schedule_delivery(route, target, Turn::this_one);
    return queue.blocked();
}

void Broker::deliver(Route& route, unsigned index) {
    if (index >= route.receivers.size()) return;
    Endpoint& receiver = *route.receivers[index];
    DeliveryQueue& queue = *route.queues[index];
    const bool was_blocked = queue.blocked();
    const auto now = policies::Clock::now();
    std::size_t turn = 0;
    while (turn < kMaxTurnBytes) {
        while (receiver.ready()) {
            const std::string* frame = queue.front();
            if (frame == nullptr) break;
            if (!route.limiter.admit(frame->size(), now, kTimerGranularity)) {
                const auto wait = route.limiter.retry_in(frame->size(), now);
                if (route.retry && !uv_is_active(route.retry.base())) {
                    uv_update_time(loop_);  // the timer counts from the loop's time, which may be stale
                    uv_timer_start(route.retry.get(), on_retry, static_cast<uint64_t>(std::max<long long>(1, wait.count())), 0);
                }
                break;
            }
            receiver.outgoing += *frame;
            queue.pop();
        }
        if (receiver.outgoing.empty()) break;
        turn += receiver.outgoing.size();
        write_outgoing(receiver);
    }
    // The kernel took a whole turn's worth at once, so no write completion will come back for more.
    if (turn >= kMaxTurnBytes && !queue.empty() && receiver.ready()) schedule_delivery(route, index, Turn::next_one);
    if (was_blocked && !queue.blocked()) update_reading(route.config.from);
}

void Broker::schedule_delivery(Route& route, unsigned index, Turn turn) {
    const std::pair<Route*, unsigned> pending{&route, index};
    if (std::find(pending_.begin(), pending_.end(), pending) == pending_.end()) pending_.push_back(pending);
    if (turn == Turn::this_one) {
        if (flush_ && !uv_is_active(flush_.base())) {
            uv_check_start(flush_.get(), [](uv_check_t* check) { static_cast<Broker*>(check->data)->deliver_pending(); });
        }
    } else if (again_ && !uv_is_active(again_.base())) {
        // An idle handle keeps the next poll from waiting for I/O; a check would run only after it.
        uv_idle_start(again_.get(), [](uv_idle_t* idle) {
            uv_idle_stop(idle);
            static_cast<Broker*>(idle->data)->deliver_pending();
        });
    }
}

void Broker::write_outgoing(Endpoint& receiver) {
    if (receiver.channel) receiver.channel->write(receiver.outgoing);
    receiver.outgoing.clear();
    if (receiver.outgoing.capacity() > 4 * kHighWater) receiver.outgoing.shrink_to_fit();  // after a huge frame
}

void Broker::flush_outgoing() {
    // Writing never calls back into the broker (a write's completion comes on a later turn of the loop).
    for (Endpoint* receiver : flushing_) write_outgoing(*receiver);
    flushing_.clear();
}

void Broker::deliver_pending() {
    if (flush_) uv_check_stop(flush_.get());
    std::vector<std::pair<Route*, unsigned>> pending;
    pending.swap(pending_);
    for (const auto& [route, index] : pending) deliver(*route, index);
}

void Broker::deliver_to(const std::string& service, unsigned index) {
    for (auto& route : routes_) {
        if (route->config.to == service && route->queues.contains(index)) deliver(*route, index);
    }
}

void Broker::on_retry(uv_timer_t* timer) {
    auto* route = static_cast<Route*>(timer->data);
    for (auto& [index, queue] : route->queues) route->broker->deliver(*route, index);
}

void Broker::update_reading(const std::string& sender_service) {
    bool blocked = false;
    for (Route* route : routes_from(sender_service)) {
        for (const auto& [index, queue] : route->queues) blocked = blocked || queue->blocked();
    }
    for (auto& [name, endpoint] : endpoints_) {
        if (endpoint->service != sender_service || !endpoint->channel) continue;
        if (blocked || endpoint->hold_send) {
            if (endpoint->channel->reading()) {
                endpoint->channel->pause_reading();
                if (blocked) spdlog::warn("ipc: {} is not read until its routes drain (queues full)", endpoint->name);
            }
        } else if (!endpoint->channel->reading()) {
            endpoint->channel->resume_reading();
        }
    }
}

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
