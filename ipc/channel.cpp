#include "ipc/channel.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <unistd.h>

#include <cerrno>

#include <memory>

#include "base/owned_write.hpp"
#include "base/read_buffer.hpp"

namespace corral::ipc {
namespace {

constexpr std::size_t kReadBufferSize = kSharedReadBufferSize;

}  // namespace

Channel::Channel(uv_loop_t* loop, int fd, std::string name, Serialization mode, std::size_t max_message,
                 std::size_t sender_buffer, Events events)
    : name_(std::move(name)), events_(std::move(events)), decoder_(mode, max_message), pacing_(sender_buffer),
      sender_buffer_(sender_buffer) {
    sink_.frame = [this](std::string_view frame, std::string_view payload) {
        ++frames_in;
        events_.frame(*this, frame, payload);
    };
    sink_.error = [this](FrameError error, std::size_t bytes) {
        ++malformed;
        events_.frame_error(*this, error, bytes);
    };
    if (pipe_.init(uv_pipe_init, loop, 0) < 0) {
        ::close(fd);
        return;
    }
    pipe_.get()->data = this;
    if (uv_pipe_open(pipe_.get(), fd) < 0) {
        ::close(fd);
        pipe_.close();
        return;
    }
    if (tick_.init(uv_timer_init, loop) == 0) tick_.get()->data = this;
    resume_reading();
}

void Channel::pause_reading() {
    if (!pipe_ || !reading_) return;
    stop_reading();
    reading_ = false;
}

void Channel::resume_reading() {
    if (!pipe_ || reading_) return;
    reading_ = true;
    start_reading();
}

void Channel::start_reading() {
    if (pacing_.paced() && tick_) {
        uv_read_stop(pipe_.stream());
        if (!uv_is_active(tick_.base())) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(policies::ReadPacing::kTick).count();
            uv_timer_start(tick_.get(), on_tick, static_cast<uint64_t>(ms), static_cast<uint64_t>(ms));
        }
        return;
    }
    if (tick_) uv_timer_stop(tick_.get());
    const int rc = uv_read_start(
        pipe_.stream(),
        alloc_shared_read_buffer<>,
        on_read);
    reading_ = rc == 0;
}

void Channel::stop_reading() {
    uv_read_stop(pipe_.stream());
    if (tick_) uv_timer_stop(tick_.get());
}

void Channel::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<Channel*>(stream->data);
    const std::uint64_t before = self->frames_in;
    if (!self->handle_read(nread, buf->base) || nread <= 0) return;
    ++self->wakeup_reads;
    // The owner may have paused reading, or closed the channel, while it took the frames.
    if (self->pacing_.on_read(policies::Clock::now(), self->frames_in - before, static_cast<std::size_t>(nread)) &&
        self->reading_ && self->pipe_) {
        self->start_reading();
    }
}

void Channel::on_tick(uv_timer_t* timer) { static_cast<Channel*>(timer->data)->read_paced(); }

void Channel::read_paced() {
    // Everything the sender wrote since the last tick, up to a bound that keeps one tick short.
    constexpr std::size_t kMaxTickBytes = 16 * kReadBufferSize;
    const std::uint64_t before = frames_in;
    int fd = -1;
    if (uv_fileno(pipe_.base(), &fd) < 0) return;
    ++paced_reads;
    std::size_t got = 0;
    while (got < kMaxTickBytes && reading_ && pipe_) {
        const uv_buf_t buffer = shared_read_buffer();
        const ssize_t n = ::read(fd, buffer.base, buffer.len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            handle_read(n == 0 ? UV_EOF : uv_translate_sys_error(errno), nullptr);  // ends the channel
            return;
        }
        if (!handle_read(n, buffer.base)) return;
        got += static_cast<std::size_t>(n);
    }
    if (!pacing_.on_tick(frames_in - before, got) && reading_ && pipe_) start_reading();
}

bool Channel::handle_read(ssize_t nread, const char* bytes) {
    if (nread < 0) {
        close();
        events_.closed(*this);  // last call: the owner may destroy the channel
        return false;
    }
    bytes_in += static_cast<std::uint64_t>(nread);
    const std::uint64_t before = frames_in;
    decoder_.feed(std::string_view(bytes, static_cast<std::size_t>(nread)), sink_);
    if (frames_in > before) frame_size_ = static_cast<std::size_t>(nread) / static_cast<std::size_t>(frames_in - before);
    if (events_.read_done) events_.read_done(*this);
    return true;
}

void Channel::write(std::string_view bytes) {
    if (!pipe_ || bytes.empty()) return;
    // The process may answer what it gets at once: read it on wake-ups again.
    const bool was_paced = pacing_.paced();
    pacing_.on_write();
    if (was_paced && reading_) start_reading();
    // Straight into the socket when nothing waits before it: no request, no callback, and libuv does not
    // touch the descriptor's epoll registration (one syscall instead of three per turn of the loop).
    if (in_flight_ == 0) {
        uv_buf_t buf = uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
        const int written = uv_try_write(pipe_.stream(), &buf, 1);
        if (written == static_cast<int>(bytes.size())) return;
        if (written < 0 && written != UV_EAGAIN) return;  // the read side reports the end
        if (written > 0) bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    if (OwnedWrite::start(pipe_.stream(), std::string(bytes), this, on_written) < 0) return;
    ++in_flight_;
}

void Channel::on_written(uv_write_t* request, int status) {
    const auto owned = OwnedWrite::finished(request);
    if (status == UV_ECANCELED) return;  // closed: `data` may be gone
    auto* self = static_cast<Channel*>(request->data);
    --self->in_flight_;
    if (status < 0) return;  // the read side reports the end
    self->events_.writable(*self);
}

std::size_t Channel::queued() const { return pipe_ ? uv_stream_get_write_queue_size(pipe_.stream()) : 0; }

std::size_t Channel::unread_by_peer() const {
    int fd = -1;
    int bytes = 0;
    if (!pipe_ || uv_fileno(pipe_.base(), &fd) < 0 || ::ioctl(fd, SIOCOUTQ, &bytes) != 0 || bytes < 0) return 0;
    return static_cast<std::size_t>(bytes);
}

std::size_t Channel::unread_from_peer() const {
    int fd = -1;
    int bytes = 0;
    if (!pipe_ || uv_fileno(pipe_.base(), &fd) < 0 || ::ioctl(fd, FIONREAD, &bytes) != 0 || bytes < 0) return 0;
    return static_cast<std::size_t>(bytes);
}

void Channel::close() {
    reading_ = false;
    tick_.close();
    pipe_.close();
}

}  // namespace corral::ipc
