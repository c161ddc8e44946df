#pragma once
// Every request that waits for its result (waiter.hpp), and what they all need to hear: transitions,
// instances that go away, clients that go away, and the daemon stopping.
//
// A command acts before its waiter exists (an instance's first transitions, even a failed start, happen
// inside start()): record() keeps every transition from then on, and wait() reads each awaited instance's
// state before the command from them and replays them into the new waiter. So a command waits the same
// way whether its instances moved at once or later, and a reload needs only to say what it waits for.
//
// Waiters are finished (answered, or their client gone) inside loops over them, and removed only at the
// end of the public call that finished them: a reply that fails to write closes its connection, which
// comes back here through client_closed() while a waiter is still at work (`busy_`). A client that goes
// on its own frees its waiters at once.
#include <uv.h>

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "supervisor/daemon/waiter.hpp"

namespace corral::supervisor {

class Waiters {
public:
    explicit Waiters(uv_loop_t* loop) : loop_(loop) {}
    Waiters(const Waiters&) = delete;
    Waiters& operator=(const Waiters&) = delete;

    // Keeps the transitions from now until the next wait() (or discard(), when the command did nothing).
    void record();
    void discard();
    // A waiter for `awaited`, answering request `id` of `client`; `result` is the reply's members besides
    // "outcomes". Replies at once when everything is already there (or the daemon is stopping).
    void wait(ControlConnection& client, std::int64_t id, nlohmann::json result, const std::vector<Awaited>& awaited,
              std::optional<policies::Duration> timeout);

    // `event`: the transition's line in the events stream.
    void transition(const Instance& instance, policies::State from, policies::State to, const std::string& reason,
                    const nlohmann::json& event);
    // Something else about the instance changed (it became quiet).
    void changed(const Instance& instance);
    // The instance is about to be destroyed.
    void removed(const Instance& instance);
    void client_closed(const ControlConnection& client);
    // The daemon began to stop: every waiter is answered `shutting_down`, and so is every later one.
    void shutting_down();
    // Forgets every waiter without a word (the server closes).
    void close();

    std::size_t size() const { return waiters_.size(); }

private:
    struct Seen {
        const Instance* instance;
        policies::State from;
        policies::State to;
        std::string reason;
        bool has_process;
        nlohmann::json event;
    };

    Waiter::Item item_for(const Awaited& awaited, const std::vector<Seen>& seen) const;
    template <typename Fn>
    void each(Fn&& fn);
    void sweep();

    uv_loop_t* loop_;
    std::list<std::unique_ptr<Waiter>> waiters_;
    std::optional<std::vector<Seen>> recording_;
    int busy_ = 0;  // calls into waiters under way: no sweep
    bool stopping_ = false;
};

}  // namespace corral::supervisor
