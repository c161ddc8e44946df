#pragma once
// The readiness checks the daemon makes itself, on its loop: `ready = { tcp = ... }` and
// `ready = { http = ... }`. The probe makes one attempt at a time, the first at once and each next one
// `interval` after the previous one ended, until one succeeds: then it calls `on_ready` once and stops.
//   tcp:  a connection accepted is success.
//   http: connect, send `GET <path> HTTP/1.1` (Host, User-Agent: corral, Connection: close), read the
//         answer until its status line is complete (at most 8 KiB; http_status_line.hpp): 2xx is success.
// A host name is resolved on libuv's thread pool (uv_getaddrinfo) for every attempt, and its addresses are
// tried in the order the resolver gives them (the next after a failed connect) within the attempt.
//
// Every attempt ends by `attempt_timeout`, resolution included, so that a server that accepts and never
// answers (or a resolver that hangs) does not stall the probe. It does not shrink with the interval: a
// starting Node service may answer its health route late (its loop busy loading modules), and a check
// that gave up sooner than the service can answer would never see it ready. The readiness timeout
// (`ready_timeout`, the owner's) bounds the whole wait.
//
// Why an attempt failed stays in last_failure() ("connection refused", "HTTP 503 Service Unavailable",
// "no HTTP answer within 1s", "cannot resolve db: unknown node or service"), for status and for the line
// that the owner logs when the readiness timeout expires.
//
// Ownership and races: the probe owns its timer and the attempt's socket (UvHandle). Requests outlive it
// if they must: a connect or a write still in flight when the socket closes is called back (cancelled, or
// with its real status) before libuv frees the socket, and finds the socket's `data` nulled by close(), so
// it only frees itself; a resolution still running belongs to its request, and on_resolved frees it and
// its addresses once the thread pool is done (the probe nulls its owner). So destroying the probe at any
// moment, from any of its callbacks or from on_ready, cancels everything; nothing is touched after
// on_ready. A resolution that outlives its attempt's deadline is not started again: the next attempt waits
// for that one (no pile-up on the thread pool).
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/uv_handle.hpp"
#include "supervisor/config/probe_target.hpp"

namespace corral::supervisor {

class ReadinessProbe {
public:
    struct Timing {
        std::chrono::milliseconds interval{200};          // from the end of an attempt to the next
        std::chrono::milliseconds attempt_timeout{1000};  // one attempt at most, resolution included
    };

    // Starts probing `target`; the first attempt is made on the next turn of the loop. `on_ready` runs once,
    // on the loop, and may destroy the probe.
    static std::unique_ptr<ReadinessProbe> start(uv_loop_t* loop, const config::ProbeTarget& target, Timing timing,
                                                 std::function<void()> on_ready);
    ~ReadinessProbe();
    ReadinessProbe(const ReadinessProbe&) = delete;
    ReadinessProbe& operator=(const ReadinessProbe&) = delete;

    const config::ProbeTarget& target() const { return target_; }
    // Why the last attempt that ended failed; empty before the first ended, and once ready.
    const std::string& last_failure() const { return last_failure_; }
    // Attempts started so far, the one under way included.
    unsigned attempts() const { return attempts_; }
    bool ready() const { return phase_ == Phase::ready; }

private:
    enum class Phase { waiting, resolving, connecting, exchanging, ready };
    struct Resolution;
    struct AddressFailure {
        std::string address;  // "127.0.0.1:3000"
        std::string reason;   // "connection refused"
    };

    ReadinessProbe(uv_loop_t* loop, const config::ProbeTarget& target, Timing timing, std::function<void()> on_ready);
    static void on_timer(uv_timer_t* timer);
    static void on_resolved(uv_getaddrinfo_t* request, int status, struct addrinfo* addresses);
    static void on_connected(uv_connect_t* request, int status);
    static void on_written(uv_write_t* request, int status);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

    void begin_attempt();
    void resolve();
    void resolved(int status, const struct addrinfo* addresses);
    void connect_next();
    void connected(int status);
    void exchange();
    void answer_read(ssize_t nread, const uv_buf_t* buf);
    void timed_out();
    void address_failed(std::string reason);
    void attempt_failed(std::string reason);
    void succeed();
    void end_attempt();

    uv_loop_t* loop_;
    config::ProbeTarget target_;
    Timing timing_;
    std::function<void()> on_ready_;
    UvHandle<uv_timer_t> timer_;  // the pause before an attempt, then the attempt's deadline
    UvHandle<uv_tcp_t> socket_;   // the attempt's connection, to one of its addresses
    Resolution* resolving_ = nullptr;  // owned by its request until on_resolved
    Phase phase_ = Phase::waiting;
    unsigned attempts_ = 0;
    std::vector<sockaddr_storage> addresses_;  // the attempt's, in the order they are tried
    std::size_t next_address_ = 0;
    std::vector<AddressFailure> address_failures_;  // this attempt's
    std::string answer_;                        // http: what the server said so far
    std::string last_failure_;
};

}  // namespace corral::supervisor
