#pragma once
// Reads one stream of a child (stdout or stderr) and appends it, line by line, to the instance's
// LogFile. The pipe is created by uv_spawn (UV_CREATE_PIPE); one capture lives per stream per incarnation
// and ends at EOF, which may come after the process is gone (a grandchild can hold the pipe open).
//
// Memory: all captures share one read buffer (the loop reads and handles one chunk at a time) and a
// line is cut at 64 KiB, so a child printing 100 MB/s costs the daemon no more than an idle one.
#include <uv.h>

#include "base/line_assembler.hpp"
#include "base/uv_handle.hpp"
#include "supervisor/instance/log_file.hpp"

namespace corral::supervisor {

class OutputCapture {
public:
    using ClosedCallback = void (*)(void* context);

    // On failure to create the pipe handle, pipe() is null and the stream is ignored. `on_closed` runs
    // once the stream has ended and its last line is written; it is the capture's last call, and the
    // owner may destroy the capture inside it.
    OutputCapture(uv_loop_t* loop, LogFile& file, bool timestamps, ClosedCallback on_closed, void* context);
    OutputCapture(const OutputCapture&) = delete;
    OutputCapture& operator=(const OutputCapture&) = delete;

    uv_pipe_t* pipe() const { return pipe_.get(); }
    // Starts reading once uv_spawn has connected the pipe. After a failed spawn there is nothing to read:
    // the capture is destroyed instead, which closes the pipe.
    void start();
    // `hook(context, lines)` sees every batch of whole lines before it is written (stderr scanning).
    using LineHook = void (*)(void* context, std::string_view lines);
    void set_line_hook(LineHook hook) { line_hook_ = hook; }
    bool closed() const { return !pipe_; }

private:
    static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    void handle_read(ssize_t nread, const uv_buf_t* buf);

    LogFile& file_;
    LineAssembler lines_;
    ClosedCallback on_closed_;
    void* context_;
    LineHook line_hook_ = nullptr;
    UvHandle<uv_pipe_t> pipe_;
};

}  // namespace corral::supervisor
