#include "supervisor/instance/output_capture.hpp"

#include <spdlog/spdlog.h>

#include <string>

#include "base/read_buffer.hpp"

namespace corral::supervisor {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;

// Lines of one chunk, collected before one write(); its capacity is reused.
std::string& shared_batch() {
    static std::string batch;
    return batch;
}

}  // namespace

OutputCapture::OutputCapture(uv_loop_t* loop, LogFile& file, bool timestamps, ClosedCallback on_closed,
                             void* context)
    : file_(file),
      lines_(kReadBufferSize, timestamps ? append_utc_timestamp : nullptr),
      on_closed_(on_closed),
      context_(context) {
    if (const int rc = pipe_.init(uv_pipe_init, loop, 0); rc < 0) {
        spdlog::error("cannot create a pipe for {}: {}", file.path().string(), uv_strerror(rc));
        return;
    }
    pipe_.get()->data = this;
}

void OutputCapture::start() {
    if (!pipe_) return;
    if (const int rc = uv_read_start(pipe_.stream(), on_alloc, on_read); rc < 0) {
        spdlog::error("cannot read output for {}: {}", file_.path().string(), uv_strerror(rc));
        pipe_.close();
        on_closed_(context_);
    }
}

void OutputCapture::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    *buf = shared_read_buffer(kReadBufferSize);
}

void OutputCapture::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    static_cast<OutputCapture*>(stream->data)->handle_read(nread, buf);
}

void OutputCapture::handle_read(ssize_t nread, const uv_buf_t* buf) {
    std::string& batch = shared_batch();
    batch.clear();
    if (nread > 0) {
        lines_.feed(std::string_view(buf->base, static_cast<std::size_t>(nread)), batch);
        if (line_hook_ != nullptr && !batch.empty()) line_hook_(context_, batch);
        file_.append(batch);
        return;
    }
    if (nread == 0) return;  // EAGAIN
    if (nread != UV_EOF) spdlog::warn("reading output for {}: {}", file_.path().string(), uv_strerror(static_cast<int>(nread)));
    lines_.finish(batch);
    if (line_hook_ != nullptr && !batch.empty()) line_hook_(context_, batch);
    file_.append(batch);
    pipe_.close();
    on_closed_(context_);
}

}  // namespace corral::supervisor
