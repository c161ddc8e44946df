#include "supervisor/instance/readiness_probe.hpp"

#include <netdb.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "base/owned_write.hpp"
#include "base/read_buffer.hpp"
#include "base/text_format.hpp"
#include "supervisor/instance/http_status_line.hpp"
#include "supervisor/instance/required_timer.hpp"

namespace corral::supervisor {
namespace {

std::uint64_t ms(std::chrono::milliseconds duration) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count()));
}

// A numeric host as the one address to try; false for a host name.
bool numeric_address(const config::ProbeTarget& target, sockaddr_storage& address) {
    std::memset(&address, 0, sizeof address);
    if (target.ipv6_literal()) {
        return uv_ip6_addr(target.host.c_str(), target.port, reinterpret_cast<sockaddr_in6*>(&address)) == 0;
    }
    return uv_ip4_addr(target.host.c_str(), target.port, reinterpret_cast<sockaddr_in*>(&address)) == 0;
}

// "127.0.0.1:3000", "[::1]:3000".
std::string address_text(const sockaddr_storage& address) {
    char name[INET6_ADDRSTRLEN] = "?";
    if (address.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
        uv_ip6_name(&v6, name, sizeof name);
        return "[" + std::string(name) + "]:" + std::to_string(ntohs(v6.sin6_port));
    }
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    uv_ip4_name(&v4, name, sizeof name);
    return std::string(name) + ":" + std::to_string(ntohs(v4.sin_port));
}

std::string http_request(const config::ProbeTarget& target) {
    return "GET " + target.path + " HTTP/1.1\r\nHost: " + target.authority() +
           "\r\nUser-Agent: corral\r\nConnection: close\r\n\r\n";
}

}  // namespace

struct ReadinessProbe::Resolution {
    uv_getaddrinfo_t request{};
    ReadinessProbe* owner = nullptr;  // null once the probe is gone
};

std::unique_ptr<ReadinessProbe> ReadinessProbe::start(uv_loop_t* loop, const config::ProbeTarget& target, Timing timing,
                                                      std::function<void()> on_ready) {
    std::unique_ptr<ReadinessProbe> probe(new ReadinessProbe(loop, target, timing, std::move(on_ready)));
    uv_timer_start(probe->timer_.get(), on_timer, 0, 0);
    return probe;
}

ReadinessProbe::ReadinessProbe(uv_loop_t* loop, const config::ProbeTarget& target, Timing timing,
                               std::function<void()> on_ready)
    : loop_(loop),
      target_(target),
      timing_(timing),
      on_ready_(std::move(on_ready)),
      timer_(required_timer(loop, target.text(), this)) {}

ReadinessProbe::~ReadinessProbe() {
    if (resolving_ != nullptr) {
        resolving_->owner = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(&resolving_->request));  // on_resolved runs either way
    }
}  // the socket closes here: a connect or write in flight is called back cancelled

void ReadinessProbe::on_timer(uv_timer_t* timer) {
    auto* self = static_cast<ReadinessProbe*>(timer->data);
    if (self->phase_ == Phase::waiting) {
        self->begin_attempt();
    } else {
        self->timed_out();
    }
}

void ReadinessProbe::begin_attempt() {
    ++attempts_;
    phase_ = Phase::resolving;
    uv_timer_start(timer_.get(), on_timer, ms(timing_.attempt_timeout), 0);
    sockaddr_storage address;
    if (numeric_address(target_, address)) {
        addresses_.assign(1, address);
        connect_next();
    } else if (resolving_ == nullptr) {
        resolve();
    }  // else the resolution that outlived the last attempt is still running: this one waits for it
}

void ReadinessProbe::resolve() {
    auto resolution = std::make_unique<Resolution>();
    resolution->owner = this;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;  // not AI_ADDRCONFIG: it would drop ::1 on a host with no global IPv6
    const std::string port = std::to_string(target_.port);
    const int rc = uv_getaddrinfo(loop_, &resolution->request, on_resolved, target_.host.c_str(), port.c_str(), &hints);
    if (rc < 0) {
        attempt_failed("cannot resolve " + target_.host + ": " + uv_strerror(rc));
        return;
    }
    resolving_ = resolution.release();  // freed in on_resolved
}

void ReadinessProbe::on_resolved(uv_getaddrinfo_t* request, int status, addrinfo* addresses) {
    const std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned_addresses(addresses, uv_freeaddrinfo);
    const std::unique_ptr<Resolution> resolution(reinterpret_cast<Resolution*>(request));
    static_assert(offsetof(Resolution, request) == 0);
    if (resolution->owner == nullptr) return;
    resolution->owner->resolving_ = nullptr;
    resolution->owner->resolved(status, addresses);
}

void ReadinessProbe::resolved(int status, const addrinfo* addresses) {
    if (phase_ != Phase::resolving) return;  // its attempt ended: the next one resolves again
    if (status < 0) {
        attempt_failed("cannot resolve " + target_.host + ": " + uv_strerror(status));
        return;
    }
    addresses_.clear();
    for (const addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
        if (address->ai_family != AF_INET && address->ai_family != AF_INET6) continue;
        sockaddr_storage copy{};
        std::memcpy(&copy, address->ai_addr, std::min<std::size_t>(address->ai_addrlen, sizeof copy));
        addresses_.push_back(copy);
    }
    if (addresses_.empty()) {
        attempt_failed("cannot resolve " + target_.host + ": no IPv4 or IPv6 address");
        return;
    }
    connect_next();
}

void ReadinessProbe::connect_next() {
    while (next_address_ < addresses_.size()) {
        phase_ = Phase::connecting;
        socket_.init(uv_tcp_init, loop_);  // never fails: the socket itself is made by the connect
        socket_.get()->data = this;
        auto request = std::make_unique<uv_connect_t>();
        const auto* address = reinterpret_cast<const sockaddr*>(&addresses_[next_address_]);
        const int rc = uv_tcp_connect(request.get(), socket_.get(), address, on_connected);
        if (rc == 0) {
            request.release();  // freed in on_connected, called back even when the socket closes first
            return;
        }
        address_failed(uv_strerror(rc));  // out of descriptors, an address of no interface here, ...
    }
    // One address: why it failed. More: which failed how, "[::1]:3000: connection refused; 127.0.0.1:3000: ...".
    std::string failure;
    for (const AddressFailure& one : address_failures_) {
        if (address_failures_.size() == 1) failure = one.reason;
        else failure += (failure.empty() ? "" : "; ") + one.address + ": " + one.reason;
    }
    attempt_failed(std::move(failure));
}

void ReadinessProbe::on_connected(uv_connect_t* request, int status) {
    const std::unique_ptr<uv_connect_t> owned(request);
    auto* self = static_cast<ReadinessProbe*>(request->handle->data);
    if (status == UV_ECANCELED || self == nullptr) return;  // its socket was closed: the attempt is over
    self->connected(status);
}

void ReadinessProbe::connected(int status) {
    if (status < 0) {
        address_failed(uv_strerror(status));
        connect_next();
    } else if (target_.kind == config::ProbeTarget::Kind::tcp) {
        succeed();
    } else {
        exchange();
    }
}

void ReadinessProbe::exchange() {
    phase_ = Phase::exchanging;
    answer_.clear();
    int rc = uv_read_start(socket_.stream(), alloc_shared_read_buffer<kMaxHttpAnswer>, on_read);
    if (rc == 0) rc = OwnedWrite::start(socket_.stream(), http_request(target_), this, on_written);
    if (rc < 0) attempt_failed(std::string("cannot send the request: ") + uv_strerror(rc));
}

void ReadinessProbe::on_written(uv_write_t* request, int status) {
    const auto owned = OwnedWrite::finished(request);
    auto* self = static_cast<ReadinessProbe*>(request->handle->data);
    if (status == UV_ECANCELED || self == nullptr) return;
    if (status < 0) self->attempt_failed(std::string("cannot send the request: ") + uv_strerror(status));
}

void ReadinessProbe::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    if (stream->data != nullptr) static_cast<ReadinessProbe*>(stream->data)->answer_read(nread, buf);
}

void ReadinessProbe::answer_read(ssize_t nread, const uv_buf_t* buf) {
    if (nread == UV_EOF) {
        attempt_failed(answer_.empty() ? "the server closed the connection without an answer"
                                       : "the server closed the connection within the status line");
        return;
    }
    if (nread < 0) {
        attempt_failed(std::string("cannot read the answer: ") + uv_strerror(static_cast<int>(nread)));
        return;
    }
    const std::size_t room = kMaxHttpAnswer - answer_.size();
    answer_.append(buf->base, std::min(room, static_cast<std::size_t>(nread)));
    HttpStatusVerdict verdict = judge_http_answer(answer_);
    if (verdict.state == HttpStatusVerdict::State::ready) {
        succeed();
    } else if (verdict.state == HttpStatusVerdict::State::not_ready) {
        attempt_failed(std::move(verdict.failure));
    }
}

void ReadinessProbe::timed_out() {
    const std::string within = " within " + duration_as_written(timing_.attempt_timeout);
    switch (phase_) {
    case Phase::resolving:
        attempt_failed("cannot resolve " + target_.host + within);
        break;
    case Phase::connecting:
        address_failed("no answer to connect" + within);
        next_address_ = addresses_.size();  // the attempt's time is up for every address
        connect_next();
        break;
    case Phase::exchanging:
        attempt_failed((answer_.empty() ? "no HTTP answer" : "no complete HTTP status line") + within);
        break;
    case Phase::waiting:
    case Phase::ready:
        break;
    }
}

void ReadinessProbe::address_failed(std::string reason) {
    address_failures_.push_back({address_text(addresses_[next_address_]), std::move(reason)});
    socket_.close();
    ++next_address_;
}

void ReadinessProbe::attempt_failed(std::string reason) {
    last_failure_ = std::move(reason);
    end_attempt();
    phase_ = Phase::waiting;
    uv_timer_start(timer_.get(), on_timer, ms(timing_.interval), 0);
}

void ReadinessProbe::succeed() {
    end_attempt();
    timer_.close();
    phase_ = Phase::ready;
    last_failure_.clear();
    const auto on_ready = std::move(on_ready_);
    on_ready();  // may destroy this probe
}

void ReadinessProbe::end_attempt() {
    uv_timer_stop(timer_.get());
    socket_.close();
    addresses_.clear();
    next_address_ = 0;
    address_failures_.clear();
    answer_.clear();
}

}  // namespace corral::supervisor
