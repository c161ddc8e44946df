// From the broker's queues to the receivers: a frame goes straight to a receiver that can take it and has
// nothing waiting before it, else into its queue; queues are delivered after the loop's reads (one write
// carries many frames), paced by the receiver's socket and by the route's rate limit.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "ipc/broker.hpp"
#include "ipc/broker_parts.hpp"

namespace corral::ipc {

namespace {

// Each delivery turn writes at most this much to one receiver before letting the loop go on.
constexpr std::size_t kMaxTurnBytes = 1 << 20;
// libuv's timers count whole milliseconds and may fire up to one early: the retry timer's wake-up admits that.
constexpr policies::Duration kTimerGranularity{1};
// What a Node receiver may have read from its socket and not handled yet: one read (libuv's 64 KiB).
constexpr std::uint64_t kReceiverReadAhead = 64 * 1024;

}  // namespace

bool Broker::offer(Route& route, unsigned target, std::string_view frame) {
    DeliveryQueue& queue = *route.queues[target];
    Endpoint& receiver = *route.receivers[target];
    // Nothing waits before it and the receiver can take it: straight to the receiver, written at the
    // end of this read.
    if (queue.empty() && receiver.ready() &&
        (!route.config.rate.limited() || route.limiter.admit(frame.size(), policies::Clock::now(), kTimerGranularity))) {
        queue.pass(frame.size());
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
    if (index >= route.receivers.size() || backlog_ == Backlog::holding || backlog_ == Backlog::persisted) return;
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
    // The journal's batch (durable) and mark, once per turn: what a crash would lose or replay twice.
    // What the receiver may not have handled yet: its socket, what libuv holds, and one read of Node's.
    const std::uint64_t unhandled = !queue.journaled() || !receiver.channel
                                        ? 0
                                        : receiver.channel->unread_by_peer() + receiver.channel->queued() +
                                              receiver.outgoing.size() + kReceiverReadAhead;
    if (auto synced = queue.sync(unhandled); !synced && worth_logging(++route.sync_errors)) {
        spdlog::error("ipc {}: cannot bring the journal of {}#{} up to date ({}; {} time(s) so far)", route.label(),
                      route.config.to, index, synced.error().message(), route.sync_errors);
    }
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

}  // namespace corral::ipc
