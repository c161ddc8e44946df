#include "supervisor/daemon/waiters.hpp"

#include <algorithm>

namespace corral::supervisor {

void Waiters::record() { recording_.emplace(); }

void Waiters::discard() { recording_.reset(); }

// The instance's state before the command: the `from` of its first recorded transition, else its state now.
Waiter::Item Waiters::item_for(const Awaited& awaited, const std::vector<Seen>& seen) const {
    const Instance& instance = *awaited.instance;
    const auto first = std::find_if(seen.begin(), seen.end(), [&](const Seen& s) { return s.instance == &instance; });
    const policies::State before = first != seen.end() ? first->from : instance.state();
    const bool had_process = first != seen.end() ? !policies::is_down(before) : instance.pid() > 0;
    return {&instance, instance.name(), policies::begin_wait(awaited.goal, before, had_process)};
}

void Waiters::wait(ControlConnection& client, std::int64_t id, nlohmann::json result,
                   const std::vector<Awaited>& awaited, std::optional<policies::Duration> timeout) {
    sweep();
    const std::vector<Seen> seen = recording_ ? std::move(*recording_) : std::vector<Seen>{};
    recording_.reset();
    std::vector<Waiter::Item> items;
    for (const Awaited& one : awaited) items.push_back(item_for(one, seen));
    auto waiter = std::make_unique<Waiter>(loop_, client, id, std::move(result), std::move(items), timeout);
    ++busy_;
    for (const Seen& s : seen) waiter->transition(*s.instance, s.from, s.to, s.reason, s.has_process, s.event);
    for (const Awaited& one : awaited) waiter->recheck(*one.instance);
    if (stopping_) waiter->abandon(protocol::ErrorCode::shutting_down, "the daemon is stopping");
    // A write to the client that failed meanwhile (here, or while the command acted) closed it.
    if (client.closed()) waiter->client_gone();
    waiter->start();
    --busy_;
    if (!waiter->finished()) waiters_.push_back(std::move(waiter));
}

template <typename Fn>
void Waiters::each(Fn&& fn) {
    ++busy_;
    for (auto& waiter : waiters_) {
        if (!waiter->finished()) fn(*waiter);
    }
    --busy_;
    if (busy_ == 0) sweep();
}

void Waiters::transition(const Instance& instance, policies::State from, policies::State to, const std::string& reason,
                         const nlohmann::json& event) {
    const bool has_process = instance.pid() > 0;
    if (recording_) recording_->push_back({&instance, from, to, reason, has_process, event});
    each([&](Waiter& waiter) { waiter.transition(instance, from, to, reason, has_process, event); });
}

void Waiters::changed(const Instance& instance) {
    each([&](Waiter& waiter) { waiter.recheck(instance); });
}

void Waiters::removed(const Instance& instance) {
    each([&](Waiter& waiter) { waiter.removed(instance); });
}

void Waiters::client_closed(const ControlConnection& client) {
    for (auto& waiter : waiters_) {
        if (waiter->client() == &client) waiter->client_gone();
    }
    // Inside a waiter's own write (which failed and closed its client), the loop that called it sweeps.
    if (busy_ == 0) sweep();
}

void Waiters::shutting_down() {
    stopping_ = true;
    each([](Waiter& waiter) { waiter.abandon(protocol::ErrorCode::shutting_down, "the daemon is stopping"); });
}

void Waiters::close() {
    for (auto& waiter : waiters_) waiter->client_gone();
    waiters_.clear();
}

void Waiters::sweep() {
    waiters_.remove_if([](const std::unique_ptr<Waiter>& waiter) { return waiter->finished(); });
}

}  // namespace corral::supervisor
