#include "supervisor/control/control_connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "base/owned_write.hpp"
#include "base/read_buffer.hpp"

namespace corral::supervisor {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;
// How long a client that was told it is too slow (or refused) may go without reading before it is closed.
constexpr uint64_t kGraceMs = 5'000;

}  // namespace

ControlConnection::ControlConnection(ControlHandler& handler, uv_loop_t* loop, policies::FollowerBudget& budget)
    : handler_(handler), loop_(loop), budget_(budget) {
    if (pipe_.init(uv_pipe_init, loop, 0) == 0) pipe_.get()->data = this;
}

void ControlConnection::start() {
    if (!pipe_) return;
    uv_read_start(pipe_.stream(), alloc_shared_read_buffer<kReadBufferSize>, on_read);
}

void ControlConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    static_cast<ControlConnection*>(stream->data)->handle_read(nread, buf);
}

void ControlConnection::handle_read(ssize_t nread, const uv_buf_t* buf) {
    if (nread < 0) {  // EOF or an error: the client is gone (a reply in flight is dropped)
        close();
        return;
    }
    std::string_view data(buf->base, static_cast<std::size_t>(nread));
    while (!data.empty() && pipe_ && !finishing_) {
        const std::size_t newline = data.find('\n');
        const std::size_t take = newline == std::string_view::npos ? data.size() : newline;
        if (partial_.size() + take > protocol::kMaxRequestBytes) {
            partial_.clear();
            refuse(protocol::reply_error(std::nullopt, protocol::ErrorCode::too_large,
                                         "request longer than " + std::to_string(protocol::kMaxRequestBytes) + " bytes"));
            return;
        }
        if (newline == std::string_view::npos) {
            partial_.append(data);
            return;
        }
        std::string line = std::move(partial_);
        partial_.clear();
        line.append(data.substr(0, newline));
        data.remove_prefix(newline + 1);
        handle_line(line);
    }
}

void ControlConnection::handle_line(std::string_view line) {
    if (line.empty()) return;
    auto parsed = protocol::parse_request(line);
    if (auto* error = std::get_if<protocol::ProtocolError>(&parsed)) {
        fail(error->id, error->code, error->message);
        return;
    }
    handler_.handle_request(*this, std::get<protocol::Request>(parsed));
}

void ControlConnection::reply(std::int64_t id, const nlohmann::json& result) { write(protocol::reply_ok(id, result)); }

void ControlConnection::reply_ordered(std::int64_t id, const nlohmann::ordered_json& result) {
    write(protocol::reply_ok_ordered(id, result));
}

void ControlConnection::fail(std::optional<std::int64_t> id, protocol::ErrorCode code, std::string_view message,
                             const nlohmann::json& details) {
    write(protocol::reply_error(id, code, message, details));
}

void ControlConnection::subscribe(Subscription subscription) {
    subscription_ = std::move(subscription);
    if (!following_) budget_.join();
    following_ = true;
}

void ControlConnection::unfollow() {
    subscription_.reset();
    if (following_) budget_.leave();
    following_ = false;
}

void ControlConnection::event_text(std::string_view text) {
    if (!pipe_ || finishing_ || !subscription_) return;
    std::string line = protocol::stream_event_text(subscription_->id, text);
    if (budget_.over(stream_bytes_waiting(), line.size())) {
        cut_off();
        return;
    }
    write(std::move(line), true);
}

// Past its share: what is queued still goes out, then slow_client, then the connection closes.
void ControlConnection::cut_off() {
    const std::int64_t id = subscription_->id;
    const std::size_t share = budget_.share();
    spdlog::warn("control socket: cut a follower that read too slowly ({} KiB waited for it, its share is {} KiB)",
                 stream_bytes_waiting() >> 10, share >> 10);
    unfollow();
    refuse(protocol::reply_error(id, protocol::ErrorCode::slow_client,
                                 "the client did not keep up with the stream (its share of " +
                                     std::to_string(share >> 10) + " KiB waited unread); disconnecting"));
}

void ControlConnection::refuse(const std::string& line) {
    write(line);
    finish_after_writes();
}

void ControlConnection::write(std::string text, bool stream) {
    if (!pipe_ || finishing_) return;
    const std::size_t stream_bytes = stream ? text.size() : 0;
    budget_.hold(stream_bytes);
    if (in_flight_.empty() || text.size() >= kChunkBytes) {
        flush_outbox();
        start_write(std::move(text), stream_bytes);
        return;
    }
    // Behind a write in flight: into the outbox, one chunk of fixed size at a time (chunks of one size
    // are reused by the allocator as they are freed; a string doubling towards the share would leave
    // every smaller size behind it).
    // A chunk that a text would overflow goes first; a chunk grows geometrically up to kChunkBytes, never
    // past it (a string past its capacity would double, past the allocator's mmap threshold).
    if (outbox_.size() + text.size() > kChunkBytes) flush_outbox();
    const std::size_t needed = outbox_.size() + text.size();
    if (needed > outbox_.capacity()) outbox_.reserve(std::min(kChunkBytes, std::max(needed, 2 * outbox_.capacity())));
    outbox_.append(text);
    outbox_stream_ += stream_bytes;
}

void ControlConnection::flush_outbox() {
    if (outbox_.empty()) return;
    std::string chunk = std::exchange(outbox_, std::string());
    start_write(std::move(chunk), std::exchange(outbox_stream_, 0));
}

void ControlConnection::start_write(std::string bytes, std::size_t stream_bytes) {
    const std::size_t capacity = bytes.capacity();
    uv_write_t* request = nullptr;
    if (OwnedWrite::start(pipe_.stream(), std::move(bytes), this, on_written, &request) < 0) {
        budget_.release(stream_bytes);
        close();
        return;
    }
    in_flight_.push_back({stream_bytes, capacity, request});
    in_flight_stream_ += stream_bytes;
}

void ControlConnection::on_written(uv_write_t* request, int status) {
    const auto owned = OwnedWrite::finished(request);
    // A write is called back even after its handle was closed: cancelled (UV_ECANCELED), or with its real
    // status when it had completed just before; close() nulled `data` then.
    if (status == UV_ECANCELED || request->data == nullptr) return;
    static_cast<ControlConnection*>(request->data)->written(status);
}

// Writes complete in the order they were started.
void ControlConnection::written(int status) {
    if (!in_flight_.empty()) {
        budget_.release(in_flight_.front().stream_bytes);
        in_flight_stream_ -= in_flight_.front().stream_bytes;
        in_flight_.pop_front();
    }
    if (status < 0) {
        close();
        return;
    }
    if (finishing_ && grace_) uv_timer_again(grace_.get());  // it reads: the grace period starts over
    if (in_flight_.empty()) flush_outbox();
    if (finishing_ && in_flight_.empty()) close();
}

void ControlConnection::finish_after_writes() {
    if (!pipe_) return;
    finishing_ = true;
    uv_read_stop(pipe_.stream());
    flush_outbox();
    if (in_flight_.empty()) {
        close();
        return;
    }
    if (grace_.init(uv_timer_init, loop_) == 0) {
        grace_.get()->data = this;
        uv_timer_start(grace_.get(), on_grace_over, kGraceMs, kGraceMs);
    }
}

void ControlConnection::on_grace_over(uv_timer_t* timer) { static_cast<ControlConnection*>(timer->data)->close(); }

// Everything is given back now: the budget's bytes and share, the buffers (the write in flight is freed by
// its cancel callback, which the loop runs as the pipe closes).
void ControlConnection::close() {
    if (pipe_ && !std::exchange(closing_, true)) handler_.connection_closed(*this);
    unfollow();
    budget_.release(stream_bytes_waiting());
    std::size_t freed = outbox_.capacity() + partial_.capacity();
    for (const InFlight& write : in_flight_) {
        freed += write.capacity;
        write.request->data = nullptr;
    }
    budget_.freed(freed);
    in_flight_.clear();
    in_flight_stream_ = 0;
    outbox_stream_ = 0;
    std::string().swap(outbox_);
    std::string().swap(partial_);
    grace_.close();
    pipe_.close();
}

ControlConnection::~ControlConnection() { close(); }

}  // namespace corral::supervisor
