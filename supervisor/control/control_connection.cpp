#include "supervisor/control/control_connection.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <memory>

#include "base/owned_write.hpp"
#include "base/read_buffer.hpp"

namespace corral::supervisor {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;
// How long a client that stopped reading keeps its connection after it was told it is too slow.
constexpr uint64_t kGraceMs = 5'000;

}  // namespace

ControlConnection::ControlConnection(ControlHandler& handler, uv_loop_t* loop) : handler_(handler), loop_(loop) {
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

void ControlConnection::event(const nlohmann::json& event) {
    if (!pipe_ || finishing_ || !subscription_) return;
    if (uv_stream_get_write_queue_size(pipe_.stream()) > kMaxQueuedBytes) {
        const std::int64_t id = subscription_->id;
        subscription_.reset();
        refuse(protocol::reply_error(id, protocol::ErrorCode::slow_client,
                                     "the client did not keep up with the stream (more than " +
                                         std::to_string(kMaxQueuedBytes >> 10) + " KiB unread); disconnecting"));
        return;
    }
    write(protocol::stream_event(subscription_->id, event));
}

void ControlConnection::refuse(const std::string& line) {
    write(line);
    finish_after_writes();
}

void ControlConnection::write(std::string text) {
    if (!pipe_ || finishing_) return;
    if (OwnedWrite::start(pipe_.stream(), std::move(text), this, on_written) < 0) {
        close();
        return;
    }
    ++pending_writes_;
}

void ControlConnection::on_written(uv_write_t* request, int status) {
    const auto owned = OwnedWrite::finished(request);
    // A write completes (with UV_ECANCELED) even after its handle was closed; then `data` is stale.
    if (status == UV_ECANCELED) return;
    auto* self = static_cast<ControlConnection*>(request->data);
    --self->pending_writes_;
    if (status < 0) {
        self->close();
        return;
    }
    if (self->finishing_ && self->pending_writes_ == 0) self->close();
}

void ControlConnection::finish_after_writes() {
    if (!pipe_) return;
    finishing_ = true;
    uv_read_stop(pipe_.stream());
    if (pending_writes_ == 0) {
        close();
        return;
    }
    if (grace_.init(uv_timer_init, loop_) == 0) {
        grace_.get()->data = this;
        uv_timer_start(grace_.get(), on_grace_over, kGraceMs, 0);
    }
}

void ControlConnection::on_grace_over(uv_timer_t* timer) { static_cast<ControlConnection*>(timer->data)->close(); }

void ControlConnection::close() {
    subscription_.reset();
    grace_.close();
    pipe_.close();
}

}  // namespace corral::supervisor
