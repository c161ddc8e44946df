#pragma once
// One client of the control socket. It reads request lines (at most protocol::kMaxRequestBytes each: a longer
// one gets `too_large` and the connection is closed), hands each to the ControlHandler, and writes
// replies and stream events.
//
// Memory: reads go through the server's shared buffer. What comes while a write is in flight is appended to
// an outbox of kChunkBytes, which goes out as a write of its own once full (or once nothing else is in
// flight), so a client costs the bytes waiting for it in chunks of one size, not an allocation and a
// request per event. A follower (`logs --follow`,
// `events`) may keep at most its share of the server's FollowerBudget waiting in stream events (the reply
// to its request does not count): one past it gets `slow_client` at the end of what is queued, no more
// events, and is disconnected once that is written (or when it goes a grace period without reading).
// A closed connection frees its buffers at once (the write in flight, in its cancel callback).
//
// Ownership: the ControlServer owns connections and destroys closed ones outside their callbacks.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/uv_handle.hpp"
#include "policies/follower_budget.hpp"
#include "supervisor/protocol/control_protocol.hpp"

namespace corral::supervisor {

class ControlConnection;

class ControlHandler {
public:
    // A request that parsed, its command typed and checked. Reply through `client.reply()` /
    // `client.fail()` (now, or later for streams).
    virtual void handle_request(ControlConnection& client, const protocol::Request& request) = 0;
    // The connection closed (the client went, or the server closes): called once, from close(), before
    // the server frees it; nothing may be written to it or kept of it after this.
    virtual void connection_closed(ControlConnection&) {}

protected:
    ~ControlHandler() = default;
};

// What a client follows after its `logs --follow` or `events` request.
struct Subscription {
    std::int64_t id = 0;
    bool events = false;
    std::set<std::string> instances;  // logs: "api#0", ...
    bool out = true;
    bool err = true;
};

class ControlConnection {
public:
    static constexpr std::size_t kChunkBytes = 64 * 1024;

    // `budget` is shared by every connection of the server and outlives them.
    ControlConnection(ControlHandler& handler, uv_loop_t* loop, policies::FollowerBudget& budget);
    ~ControlConnection();
    ControlConnection(const ControlConnection&) = delete;
    ControlConnection& operator=(const ControlConnection&) = delete;

    uv_pipe_t* pipe() const { return pipe_.get(); }
    // Starts reading, after the peer's credentials were accepted.
    void start();
    // Writes `line` (one protocol line) and closes once it is out.
    void refuse(const std::string& line);

    void reply(std::int64_t id, const nlohmann::json& result);
    // A result whose keys keep their order (a post-mortem bundle, as `corral postmortem --json` prints it).
    void reply_ordered(std::int64_t id, const nlohmann::ordered_json& result);
    void fail(std::optional<std::int64_t> id, protocol::ErrorCode code, std::string_view message,
              const nlohmann::json& details = nullptr);
    // {"id":ID,"event":EVENT}: progress of a request still to be answered (a command that waits). Not a
    // follower's stream: a handful of lines per request, outside the follower budget.
    void progress(std::int64_t id, const nlohmann::json& event) { write(protocol::stream_event(id, event)); }
    // A stream event; drops the client (slow_client) when it does not keep up.
    void event(const nlohmann::json& event) { event_text(protocol::event_text(event)); }
    // The same, serialized once with protocol::event_text() for every follower.
    void event_text(std::string_view text);

    void subscribe(Subscription subscription);
    const std::optional<Subscription>& subscription() const { return subscription_; }

    void close();
    bool closed() const { return !pipe_; }

    // Stream bytes written to this client and not yet taken by its socket.
    std::size_t stream_bytes_waiting() const { return in_flight_stream_ + outbox_stream_; }

private:
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_written(uv_write_t* request, int status);
    static void on_grace_over(uv_timer_t* timer);
    void handle_read(ssize_t nread, const uv_buf_t* buf);
    void handle_line(std::string_view line);
    // `stream`: the bytes are stream events, counted against the follower's share.
    void write(std::string text, bool stream = false);
    void start_write(std::string bytes, std::size_t stream_bytes);
    void flush_outbox();
    void written(int status);
    void cut_off();
    void unfollow();
    void finish_after_writes();

    ControlHandler& handler_;
    uv_loop_t* loop_;
    UvHandle<uv_pipe_t> pipe_;
    UvHandle<uv_timer_t> grace_;
    policies::FollowerBudget& budget_;
    std::string partial_;
    std::optional<Subscription> subscription_;
    bool following_ = false;  // counted among the budget's followers
    bool finishing_ = false;  // no more writes; close when the queue is out
    bool closing_ = false;    // the handler was told
    struct InFlight {
        std::size_t stream_bytes = 0;
        std::size_t capacity = 0;  // of its buffer
        uv_write_t* request = nullptr;  // its data is nulled when the connection goes first
    };
    std::deque<InFlight> in_flight_;  // writes started and not completed, oldest first
    std::string outbox_;              // what goes out once it is full or nothing else is in flight
    std::size_t outbox_stream_ = 0;
    std::size_t in_flight_stream_ = 0;  // the stream bytes of in_flight_
};

}  // namespace corral::supervisor
