// The broker's life and the instances that come and go: attach, detach, hold, and whether a sender is read.
#include "ipc/broker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/instance_name.hpp"
#include "ipc/broker_parts.hpp"

namespace corral::ipc {

namespace {

constexpr uint64_t kPruneMs = 1'000;

}  // namespace

Broker::Broker(uv_loop_t* loop, BrokerConfig config)
    : loop_(loop), writer_(std::make_unique<JournalWriter>(loop, [this] { on_written(); })) {
    if (prune_timer_.init(uv_timer_init, loop_) == 0) {
        prune_timer_.get()->data = this;
        uv_timer_start(prune_timer_.get(), on_prune, kPruneMs, kPruneMs);
        uv_unref(prune_timer_.base());
    }
    if (flush_.init(uv_check_init, loop_) == 0) flush_.get()->data = this;
    if (again_.init(uv_idle_init, loop_) == 0) again_.get()->data = this;
    configure(std::move(config));
    warn_unowned_journals();
    mark_running();
}

Broker::~Broker() { close(); }

void Broker::close() {
    for (auto& [name, endpoint] : endpoints_) {
        if (endpoint->channel) endpoint->channel->close();
        for (auto& other : endpoint->others) {
            if (other.channel) other.channel->close();
        }
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

std::unique_ptr<Channel> Broker::make_channel(Endpoint& endpoint, Serialization mode, int fd, std::size_t sender_buffer) {
    Endpoint* self = &endpoint;
    Channel::Events events;
    events.frame = [this, self](Channel& channel, std::string_view frame, std::string_view payload) {
        on_frame(*self, channel, frame, payload);
    };
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
    events.read_done = [this, self](Channel& channel) {
        flush_outgoing();
        if (self->unread_listener && self->channel.get() == &channel) sample_unread(*self);
    };
    events.writable = [this, self](Channel&) { deliver_to(self->service, self->index); };
    // Inside the channel's own callback: it is destroyed later, by the prune timer.
    events.closed = [this, self](Channel& channel) { on_channel_closed(*self, channel); };
    return std::make_unique<Channel>(loop_, fd, endpoint.name, mode, config_.max_message, sender_buffer,
                                     std::move(events));
}

void Broker::on_channel_closed(Endpoint& self, Channel& channel) {
    if (self.channel.get() == &channel) {
        closed_channels_.push_back(std::move(self.channel));
        return;
    }
    for (auto it = self.others.begin(); it != self.others.end(); ++it) {
        if (it->channel.get() != &channel) continue;
        closed_channels_.push_back(std::move(it->channel));
        self.others.erase(it);
        return;
    }
}

// The receiving channel goes among the others, read until it closes (whatever paused it is not its concern
// any more: what it still holds was written before its successor took over).
void Broker::set_aside(Endpoint& self) {
    if (!self.channel->reading()) self.channel->resume_reading();
    self.others.push_back({std::move(self.channel), self.channel_id, self.mode, std::move(self.options)});
}

ChannelId Broker::attach(const std::string& service, unsigned index, Serialization mode, int fd,
                         std::size_t sender_buffer, AttachOptions options) {
    Endpoint& self = slot(service, index);
    const ChannelId id = ++last_channel_id_;
    std::unique_ptr<Channel> channel = make_channel(self, mode, fd, sender_buffer);
    if (!options.receiver && self.channel && self.channel->open()) {
        self.others.push_back({std::move(channel), id, mode, std::move(options)});
        return id;
    }
    if (self.channel) set_aside(self);
    self.channel = std::move(channel);
    self.channel_id = id;
    self.mode = mode;
    self.options = std::move(options);
    update_reading(service);
    deliver_to(service, index);
    return id;
}

void Broker::promote(const std::string& service, unsigned index, ChannelId id) {
    Endpoint* self = endpoint(service, index);
    if (self == nullptr || self->channel_id == id) return;
    const auto found = std::find_if(self->others.begin(), self->others.end(), [id](const auto& other) { return other.id == id; });
    if (found == self->others.end()) return;
    Endpoint::Other next = std::move(*found);
    self->others.erase(found);
    if (self->channel) set_aside(*self);
    self->channel = std::move(next.channel);
    self->channel_id = next.id;
    self->mode = next.mode;
    self->options = std::move(next.options);
    update_reading(service);
    deliver_to(service, index);
}

void Broker::detach(const std::string& service, unsigned index, ChannelId id) {
    Endpoint* self = endpoint(service, index);
    if (self == nullptr) return;
    if (self->channel && self->channel_id == id) {
        self->channel->close();
        closed_channels_.push_back(std::move(self->channel));
        return;
    }
    for (auto it = self->others.begin(); it != self->others.end(); ++it) {
        if (it->id != id) continue;
        if (it->channel) it->channel->close();
        closed_channels_.push_back(std::move(it->channel));
        self->others.erase(it);
        return;
    }
}

void Broker::hold(const std::string& service, unsigned index, bool receive, bool send) {
    Endpoint& self = slot(service, index);
    self.hold_receive = receive;
    self.hold_send = send;
    update_reading(service);
    if (!receive) deliver_to(service, index);
}

void Broker::on_written() {
    for (auto& route : routes_) {
        bool freed = false;
        for (const auto& [index, queue] : route->queues) {
            const bool was_blocked = queue->blocked();
            queue->settle_writes();
            freed = freed || (was_blocked && !queue->blocked());
        }
        if (freed) update_reading(route->config.from);
    }
}

void Broker::update_reading(const std::string& sender_service) {
    bool blocked = false;
    for (Route* route : routes_from(sender_service)) {
        for (const auto& [index, queue] : route->queues) blocked = blocked || queue->blocked();
    }
    for (auto& [name, endpoint] : endpoints_) {
        if (endpoint->service != sender_service || !endpoint->channel) continue;
        if (blocked || endpoint->hold_send || backlog_ != Backlog::live) {
            if (endpoint->channel->reading()) {
                endpoint->channel->pause_reading();
                if (blocked && worth_logging(++endpoint->paused_full)) {
                    spdlog::warn("ipc: {} is not read until its routes drain (queues full; {} time(s) so far)",
                                 endpoint->name, endpoint->paused_full);
                }
                // Not read, it is sampled no more: the throttle hears now how far behind it is, and asks
                // on a timer of its own until it is read again (its socket may fill meanwhile).
                report_behind(*endpoint);
            }
        } else if (!endpoint->channel->reading()) {
            endpoint->channel->resume_reading();
        }
    }
}

}  // namespace corral::ipc
