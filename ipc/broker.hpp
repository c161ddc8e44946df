#pragma once
// The IPC broker: every instance's Node IPC channel ends in the daemon, and the broker moves messages
// between them along the configured routes.
//
//   - It reads every sender eagerly and forwards only whole frames it has validated (json: a complete,
//     valid JSON text; advanced: the V8 serializer header). A malformed frame is dropped, counted and
//     logged with the sender's name: a Node receiver would die of it.
//   - Each route has a queue per receiving instance (order is kept per sender-receiver pair), bounded in
//     memory, overflowing as the route says (spill to disk by default: nothing is lost); delivery is paced
//     (a receiver's socket never holds more than kHighWater bytes of ours in user space) and rate-limited
//     (token buckets on messages/s and bytes/s).
//   - A sender with several routes addresses a message with a top-level "$to" ("service" or
//     "service#index"; json only). Messages for an instance that is not running wait in its queue: a
//     restart loses only what was already written into the dead instance's socket.
//   - A held receiver (cooling) gets nothing until released; its messages wait.
//   - The backlog outlives the daemon (broker_backlog.cpp). At start, each queue adopts the journal an
//     earlier daemon left for it (FROM-to-TO-INDEX.journal) and replays it before anything new. At
//     shutdown, begin_drain() stops reading every sender and goes on delivering while the receivers run;
//     drained() says when nothing is left that a running receiver could take and every receiver has read
//     everything written to it; persist() then writes what is left to the journals, in order, and the
//     broker delivers nothing more.
//   - Spill journals are written by a thread of their own (ipc/journal_writer.hpp): the loop never waits for
//     the disk. What the disk has not taken yet counts towards the sender throttle, and past
//     DeliveryQueue::kUnwrittenMax a queue blocks its senders until the writer catches up.
#include <uv.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/uv_handle.hpp"
#include "ipc/channel.hpp"
#include "ipc/delivery_queue.hpp"
#include "ipc/journal_writer.hpp"
#include "ipc/json_message.hpp"
#include "policies/channel_freeze.hpp"
#include "policies/token_bucket.hpp"

namespace corral::ipc {

struct RouteConfig {
    std::string from;
    std::string to;
    policies::RateParams rate;
    QueueLimits queue;
    bool broadcast = false;

    bool operator==(const RouteConfig&) const = default;
};

struct BrokerConfig {
    std::vector<RouteConfig> routes;
    std::map<std::string, unsigned> instances;  // service -> instance count
    std::size_t max_message = 4u << 20;
    std::filesystem::path spill_dir;

    bool operator==(const BrokerConfig&) const = default;
};

// What an instance tells corral itself on its channel; never forwarded.
struct InstanceNotice {
    enum class Kind {
        listening,  // {"cmd":"NODE_CORRAL_LISTENING","address":...}: the Node agent's server accepts there
        ready,      // the string "ready" (pm2's wait_ready), when AttachOptions::ready_message asks for it
        runtime,    // {"cmd":"NODE_CORRAL_RUNTIME",...}: the Node agent's report on its process
    };
    Kind kind;
    std::string detail;  // listening: the address; runtime: the message's JSON text
};

struct AttachOptions {
    std::function<void(const InstanceNotice&)> notices;
    // The first "ready" string the instance sends is a notice, not a message for its routes.
    bool ready_message = false;
    // false: a replacement started beside the running incarnation (a rollout): read, but delivered to only
    // once promote()d.
    bool receiver = true;
};

using ChannelId = std::uint64_t;

// How far behind the broker is with what one sender wrote.
struct SenderBacklog {
    // Not yet where it goes: unread on the daemon's end, plus what its routes spilled that the disk has
    // not taken yet (the sender throttle's measure).
    std::size_t behind = 0;
    policies::ChannelLoad channel;  // its socket alone (the channel freeze's)
    bool read = true;  // false: the broker does not read it now (its routes are full, it is cooled, ...)
};

class Broker {
public:
    static constexpr std::size_t kHighWater = 64 * 1024;

    Broker(uv_loop_t* loop, BrokerConfig config);
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    // Routes that stay the same keep their queues; removed routes drop what they held in memory (counted)
    // and keep their journals on disk; new ones adopt the journal an earlier daemon left, or start empty.
    void configure(BrokerConfig config);
    // The instance runs and `fd` is the daemon's end of its channel (the broker owns it from now on);
    // `sender_buffer` is the send buffer of the instance's end (see Channel). A channel the instance had
    // before is still read until it closes, and written to no more.
    ChannelId attach(const std::string& service, unsigned index, Serialization mode, int fd, std::size_t sender_buffer,
                     AttachOptions options = {});
    // The replacement `id` (attached with receiver = false) becomes the instance's receiver; the channel
    // before it is read until it closes.
    void promote(const std::string& service, unsigned index, ChannelId id);
    // The process of channel `id` is gone: the channel closes; what is queued for the instance waits.
    void detach(const std::string& service, unsigned index, ChannelId id);
    // A cooling instance receives nothing until released (and, when it is a sender, is not read).
    void hold(const std::string& service, unsigned index, bool receive, bool send);

    // Reports to `listener` how far behind the broker is with what the instance wrote (SenderBacklog).
    // After reads of it, at most every kUnreadSampleGap, while it is a sender with routes: nothing is
    // sampled while it sends nothing. Also once when its reading stops because its routes block it. While
    // it is not read, the listener has to ask (backlog_of): its socket fills without a sign. An empty
    // listener stops it.
    static constexpr policies::Duration kUnreadSampleGap{10};
    void watch_unread(const std::string& service, unsigned index, std::function<void(const SenderBacklog&)> listener);
    // The same, asked now (nullopt without a channel).
    std::optional<SenderBacklog> backlog_of(const std::string& service, unsigned index) const;

    // Messages and bytes read from the instance's current channel (nullopt without one).
    std::optional<std::pair<std::uint64_t, std::uint64_t>> sent(const std::string& service, unsigned index) const;

    nlohmann::json stats() const;
    void close();

    // Shutdown (broker_backlog.cpp): stop reading senders and deliver what is held; then persist the rest.
    // stop_delivering() (the drain timeout is over) writes nothing more, so that drained() then only waits
    // for the receivers to read what was already written to them.
    void begin_drain();
    void stop_delivering();
    bool drained() const;
    void persist();

private:
    struct Endpoint;  // broker_parts.hpp
    struct Route;

    // The route from wanted.from to wanted.to, taken out of routes_ (its limiter restarted if its rate
    // changed), or a new one; configured as `wanted` either way.
    std::unique_ptr<Route> take_route(const RouteConfig& wanted, policies::TimePoint now);
    std::unique_ptr<Channel> make_channel(Endpoint& self, Serialization mode, int fd, std::size_t sender_buffer);
    void on_channel_closed(Endpoint& self, Channel& channel);
    void set_aside(Endpoint& self);
    void on_frame(Endpoint& sender, Channel& channel, std::string_view frame, std::string_view payload);
    // A json message that may travel: false when it is dropped (malformed, or one of Node's internal
    // messages) or was a notice for corral, else its "$to", if it has one, in `to`.
    bool admit_json(Endpoint& sender, Channel& channel, std::string_view payload, std::optional<std::string>& to);
    // One of corral's own messages (InstanceNotice) taken out of `channel`'s stream: true when it was one.
    bool take_notice(Endpoint& sender, Channel& channel, const JsonMessage& message, std::string_view payload);
    // The route of `routes` that "$to" ("service" or "service#index") names, with the index it names; null
    // when it names none of them or its index is not a number.
    static Route* addressed_route(const std::vector<Route*>& routes, const std::string& to,
                                  std::optional<unsigned>& index);
    void enqueue(Route& route, std::optional<unsigned> index, std::string_view frame);
    // Hands `frame` to the receiver `target` of `route`, or queues it; true when that queue now blocks its senders.
    bool offer(Route& route, unsigned target, std::string_view frame);
    void deliver(Route& route, unsigned index);
    void deliver_to(const std::string& service, unsigned index);
    void deliver_pending();
    enum class Turn { this_one, next_one };
    // Queues `route`'s delivery to `index` for after this turn's reads, or for the next turn of the loop.
    void schedule_delivery(Route& route, unsigned index, Turn turn);
    void write_outgoing(Endpoint& receiver);
    void flush_outgoing();
    void update_reading(const std::string& sender_service);
    void sample_unread(Endpoint& sender);
    // Tells the sender's listener now how far behind it is (a sample outside the reads: its reading stops).
    void report_behind(Endpoint& sender);
    // What `sender` (with a channel) wrote that is not yet where it goes (see watch_unread).
    SenderBacklog backlog(const Endpoint& sender) const;
    Endpoint* endpoint(const std::string& service, unsigned index);
    Endpoint& slot(const std::string& service, unsigned index);  // created on first use, kept until close()
    const std::vector<Route*>& routes_from(const std::string& service) const;
    // A journal in the spill directory that no queue of the configuration owns is kept, with a warning.
    void warn_unowned_journals() const;
    // Leaves a marker in the spill directory while the broker runs (removed by persist()): found at start,
    // it says the previous daemon died, and queues without a journal cannot count what they lost.
    void mark_running() const;
    static void on_retry(uv_timer_t* timer);
    static void on_prune(uv_timer_t* timer);

    // The writer made progress: queues let go of what it wrote, and senders blocked by it are read again.
    void on_written();

    uv_loop_t* loop_;
    BrokerConfig config_;
    std::unique_ptr<JournalWriter> writer_;  // outlives the queues, which wait for it to write their journals
    std::vector<std::unique_ptr<Route>> routes_;
    std::map<std::string, std::vector<Route*>> routes_by_sender_;  // from routes_, for each frame read
    std::map<std::string, std::unique_ptr<Endpoint>> endpoints_;  // "api#0"
    std::vector<std::unique_ptr<Channel>> closed_channels_;       // destroyed on the next prune
    ChannelId last_channel_id_ = 0;
    std::vector<std::pair<Route*, unsigned>> pending_;            // queues that got frames in this read
    std::vector<Endpoint*> flushing_;                             // receivers with frames in `outgoing`
    UvHandle<uv_timer_t> prune_timer_;
    UvHandle<uv_check_t> flush_;  // delivers pending_ after the loop's poll phase
    UvHandle<uv_idle_t> again_;   // goes on delivering a queue that filled a whole turn
    enum class Backlog { live, draining, holding, persisted };
    Backlog backlog_ = Backlog::live;
    std::uint64_t drain_mark_ = 0;  // messages delivered when the drain began
    policies::TimePoint drain_began_{};
};

}  // namespace corral::ipc
