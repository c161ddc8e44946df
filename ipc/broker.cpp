// The broker's life and the instances that come and go: attach, detach, hold, and whether a sender is read.
#include "ipc/broker.hpp"

#include <spdlog/spdlog.h>

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
    events.read_done = [this, self](Channel&) {
        flush_outgoing();
        if (self->unread_listener) sample_unread(*self);
    };
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
