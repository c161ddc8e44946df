#include "supervisor/kmsg/kmsg_reader.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace corral::supervisor::kmsg {

KmsgReader::KmsgReader(uv_loop_t* loop, ReportCallback on_report, Options options)
    : loop_(loop), on_report_(std::move(on_report)), options_(std::move(options)) {
    if (!options_.read) options_.read = [](int fd, char* buffer, std::size_t size) { return ::read(fd, buffer, size); };
}

Status KmsgReader::open() {
    if (is_open()) return {};
    UniqueFd fd(::open(options_.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        SysError error = sys_error("open", options_.path);
        if (error.code == EPERM || error.code == EACCES) {
            error = with_hint(std::move(error), "reading the kernel log needs root or CAP_SYSLOG when "
                                                "kernel.dmesg_restrict=1; OOM kills are then reported "
                                                "without the kernel's report");
        }
        return error;
    }
    // The buffered records are history (kills before this daemon ran). A pipe has no end to seek to.
    if (::lseek(fd.get(), 0, SEEK_END) < 0 && errno != ESPIPE) return sys_error("seek to the end of", options_.path);

    if (const int rc = poll_.init(uv_poll_init, loop_, fd.get()); rc < 0) {
        SysError error{-rc, "watch", options_.path};
        error.detail = uv_strerror(rc);
        return error;
    }
    poll_.get()->data = this;
    if (const int rc = uv_poll_start(poll_.get(), UV_READABLE | UV_PRIORITIZED, on_poll); rc < 0) {
        poll_.close();
        SysError error{-rc, "watch", options_.path};
        error.detail = uv_strerror(rc);
        return error;
    }
    uv_unref(poll_.base());
    fd_ = std::move(fd);

    partial_.clear();
    assembler_.reset();
    last_seq_.reset();
    overrun_pending_ = false;
    records_ = overruns_ = lost_ = skipped_ = 0;
    return {};
}

void KmsgReader::close() {
    poll_.close();  // stops polling; the descriptor may be closed right after uv_close
    fd_.reset();
    partial_.clear();
}

void KmsgReader::on_poll(uv_poll_t* handle, int status, int) {
    if (auto* self = static_cast<KmsgReader*>(handle->data)) self->on_readable(status);
}

void KmsgReader::on_readable(int status) {
    if (status >= 0) {
        drain();
        return;
    }
    // libuv stopped the handle (POLLERR without POLLPRI). With UV_PRIORITIZED asked for, an overrun does
    // not look like this; read anyway: a dead descriptor fails the read and closes the reader.
    spdlog::debug("poll on {} reported {}", options_.path, uv_strerror(status));
    drain();
    if (is_open()) uv_poll_start(poll_.get(), UV_READABLE | UV_PRIORITIZED, on_poll);
}

void KmsgReader::drain() {
    for (int reads = 0; reads < kMaxReadsPerWakeup && is_open(); ++reads) {
        const ssize_t n = options_.read(fd_.get(), buffer_.data(), buffer_.size());
        const int error = errno;
        if (n > 0) {
            consume(std::string_view(buffer_.data(), static_cast<std::size_t>(n)));
            continue;
        }
        if (n == 0) {  // only a pipe ends
            spdlog::warn("kernel log {} was closed; OOM kills are no longer read from it", options_.path);
            close();
            return;
        }
        switch (error) {
            case EINTR:
                continue;
            case EAGAIN:
                return;
            case EPIPE:  // the kernel moved us to the oldest record left; counted at the next record
                ++overruns_;
                overrun_pending_ = true;
                continue;
            case EINVAL:  // the kernel skips it
                ++skipped_;
                spdlog::debug("skipped a kernel log record longer than {} bytes", buffer_.size());
                continue;
            default:
                spdlog::error("cannot read {}: {}; OOM kills are no longer read from the kernel log",
                              options_.path, std::strerror(error));
                close();
                return;
        }
    }
}

void KmsgReader::consume(std::string_view data) {
    std::string joined;
    if (!partial_.empty()) {
        joined = std::exchange(partial_, {});
        joined.append(data);
        data = joined;
    }
    while (!data.empty() && is_open()) {
        const auto newline = data.find('\n');
        if (newline == std::string_view::npos) {
            // The rest of a record comes with the next read (pipes only). A record never gets this long.
            if (data.size() <= buffer_.size()) partial_.assign(data);
            return;
        }
        const std::string_view line = data.substr(0, newline);
        data.remove_prefix(newline + 1);
        if (line.empty() || line.front() == ' ') continue;  // a continuation line (" SUBSYSTEM=...")
        if (const auto record = parse_kmsg_record(line)) {
            handle_record(*record);
        } else {
            spdlog::debug("ignored a kernel log line that is not a record: {}", line.substr(0, 80));
        }
    }
}

void KmsgReader::handle_record(const KmsgRecord& record) {
    ++records_;
    if (overrun_pending_) {
        overrun_pending_ = false;
        const std::uint64_t lost =
            last_seq_ && record.seq > *last_seq_ + 1 ? record.seq - *last_seq_ - 1 : 0;
        lost_ += lost;
        if (lost > 0) {
            spdlog::warn("kernel log overrun: {} records lost", lost);
        } else {
            spdlog::warn("kernel log overrun: records lost");
        }
        assembler_.note_lost(lost);
    }
    last_seq_ = record.seq;
    if (!record.from_kernel()) return;

    remember(record.message);
    if (auto report = assembler_.feed(record.message)) {
        if (on_report_) on_report_(*report);
    }
}

void KmsgReader::remember(std::string_view message) {
    if (options_.recent_capacity == 0) return;
    // "oom-killer", "oom-kill:", "oom_reaper", "oom_score_adj", but not "room" or "zoom".
    constexpr std::string_view kMarks[] = {"oom-", "oom_", "Out of memory", "Killed process"};
    bool related = false;
    for (const auto mark : kMarks) related = related || message.find(mark) != std::string_view::npos;
    if (!related) return;
    if (recent_.size() == options_.recent_capacity) recent_.pop_front();
    recent_.emplace_back(message);
}

}  // namespace corral::supervisor::kmsg
