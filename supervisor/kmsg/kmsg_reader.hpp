#pragma once
// Follows the kernel log (/dev/kmsg) on the libuv loop and reports every OOM kill the kernel logs.
//
// Ownership: the reader owns the descriptor and the uv_poll_t watching it (a UvHandle, freed in its close
// callback). It is neither copyable nor movable (the handle's `data` points at it). close() is idempotent;
// the report callback may call close(), but must not destroy the reader. The poll handle is unref'd: the
// reader never keeps the loop alive by itself.
//
// Kernel facts this relies on (Documentation/ABI/testing/dev-kmsg):
//  - open() starts at the oldest record still buffered; lseek(SEEK_END) skips them: only kills from now on
//    are ours to report. Without CAP_SYSLOG and with kernel.dmesg_restrict=1, open() fails with EPERM.
//  - Each read() returns exactly one record; a record longer than the buffer fails with EINVAL and is
//    skipped by the kernel (the next read returns the next record).
//  - When the ring buffer wraps past the reader, read() fails once with EPIPE and the reader's position
//    jumps to the oldest record left; the gap in sequence numbers says how many were lost. Meanwhile poll
//    reports POLLERR together with POLLPRI. libuv treats POLLERR without POLLPRI as a dead descriptor and
//    stops the handle, and epoll only reports POLLPRI when asked: so the handle watches UV_PRIORITIZED too.
//
// The read data is split on the record structure rather than trusted to be one record per read, so the
// reader also works on a pipe or FIFO (tests): lines that start with a space are a record's continuation
// lines and are dropped, any other line is a record, and a partial line waits for the next read.
//
// Only records of the kernel facility are considered: user space (with write access to /dev/kmsg) cannot
// fake a kill report.
#include <sys/types.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/sys_result.hpp"
#include "base/unique_fd.hpp"
#include "base/uv_handle.hpp"
#include "supervisor/kmsg/kmsg_record.hpp"
#include "supervisor/kmsg/oom_report.hpp"

namespace corral::supervisor::kmsg {

class KmsgReader {
public:
    using ReportCallback = std::function<void(const OomReport&)>;
    // The contract of read(2): bytes read, or -1 with errno set. Tests inject failures through it.
    using ReadFunction = std::function<ssize_t(int fd, char* buffer, std::size_t size)>;

    struct Options {
        std::string path = "/dev/kmsg";
        ReadFunction read = nullptr;       // ::read when empty
        std::size_t recent_capacity = 64;  // how many OOM-related messages recent() keeps
    };

    static constexpr std::size_t kBufferSize = 8 * 1024;  // the kernel's records are at most ~1 KiB
    static constexpr int kMaxReadsPerWakeup = 256;        // then back to the loop; poll fires again

    KmsgReader(uv_loop_t* loop, ReportCallback on_report) : KmsgReader(loop, std::move(on_report), Options{}) {}
    KmsgReader(uv_loop_t* loop, ReportCallback on_report, Options options);
    ~KmsgReader() { close(); }
    KmsgReader(const KmsgReader&) = delete;
    KmsgReader& operator=(const KmsgReader&) = delete;

    // Opens the log at its end and starts watching it. Failing (EPERM without CAP_SYSLOG, ENOENT in some
    // containers) leaves the reader closed; the caller warns and goes on without kernel reports.
    Status open();
    void close();
    bool is_open() const { return static_cast<bool>(fd_); }
    const std::string& path() const { return options_.path; }

    // The last OOM-related messages ("oom-", "oom_", "Out of memory", "Killed process"), oldest first, for
    // diagnostics: what the kernel said even when no report could be assembled.
    const std::deque<std::string>& recent() const { return recent_; }

    std::uint64_t records() const { return records_; }    // records read since open()
    std::uint64_t overruns() const { return overruns_; }  // EPIPEs
    std::uint64_t lost() const { return lost_; }          // records known lost in overruns
    std::uint64_t skipped() const { return skipped_; }    // records too long for the buffer

private:
    static void on_poll(uv_poll_t* handle, int status, int events);
    void on_readable(int status);
    void drain();
    void consume(std::string_view data);
    void handle_record(const KmsgRecord& record);
    void remember(std::string_view message);

    uv_loop_t* loop_;
    ReportCallback on_report_;
    Options options_;
    UniqueFd fd_;                   // declared before poll_: the handle is closed before the descriptor
    UvHandle<uv_poll_t> poll_;
    std::array<char, kBufferSize> buffer_{};
    std::string partial_;           // a record cut by a read (pipes only; /dev/kmsg reads whole records)
    OomReportAssembler assembler_;
    std::deque<std::string> recent_;
    std::optional<std::uint64_t> last_seq_;
    bool overrun_pending_ = false;  // an EPIPE whose count is known at the next record
    std::uint64_t records_ = 0;
    std::uint64_t overruns_ = 0;
    std::uint64_t lost_ = 0;
    std::uint64_t skipped_ = 0;
};

}  // namespace corral::supervisor::kmsg
