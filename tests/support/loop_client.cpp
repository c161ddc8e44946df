#include "tests/support/loop_client.hpp"

#include <string_view>

#include "base/owned_write.hpp"

namespace corral::test {
namespace {

void alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
    static char buffer[64 * 1024];
    *buf = uv_buf_init(buffer, sizeof buffer);
}

}  // namespace

LoopClient::LoopClient(uv_loop_t* loop, const std::filesystem::path& socket) {
    if (pipe_.init(uv_pipe_init, loop, 0) < 0) return;
    pipe_.get()->data = this;
    connect_request_.data = this;
    uv_pipe_connect(&connect_request_, pipe_.get(), socket.c_str(), on_connect);
}

void LoopClient::on_connect(uv_connect_t* request, int status) {
    if (status == UV_ECANCELED) return;
    auto* self = static_cast<LoopClient*>(request->data);
    ++self->connect_cb_called;
    self->connect_status = status;
    if (status == 0) self->start_reading();
}

void LoopClient::send(std::string bytes) {
    if (OwnedWrite::start(pipe_.stream(), std::move(bytes), this, on_write) < 0) ++write_errors;
}

void LoopClient::on_write(uv_write_t* request, int status) {
    const auto owned = OwnedWrite::finished(request);
    if (status == UV_ECANCELED) return;
    auto* self = static_cast<LoopClient*>(request->data);
    ++self->write_cb_called;
    if (status < 0) ++self->write_errors;
}

void LoopClient::start_reading() {
    if (pipe_) uv_read_start(pipe_.stream(), alloc, on_read);
}

void LoopClient::stop_reading() {
    if (pipe_) uv_read_stop(pipe_.stream());
}

void LoopClient::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<LoopClient*>(stream->data);
    if (nread == UV_EOF) {
        ++self->eof_cb_called;
        uv_read_stop(stream);
    } else if (nread < 0) {
        ++self->read_errors;
        uv_read_stop(stream);
    } else {
        self->take(std::string_view(buf->base, static_cast<std::size_t>(nread)));
    }
}

void LoopClient::take(std::string_view bytes) {
    partial.append(bytes);
    std::size_t start = 0;
    for (std::size_t newline; (newline = partial.find('\n', start)) != std::string::npos; start = newline + 1) {
        lines.push_back(partial.substr(start, newline - start));
    }
    partial.erase(0, start);
}

}  // namespace corral::test
