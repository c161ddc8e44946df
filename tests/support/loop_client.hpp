#pragma once
// A client of a Unix stream socket on the test's own libuv loop, in the style of libuv's tests: it connects,
// writes and reads through callbacks that count themselves, so that one uv_run drives both the client and
// the server under test, and the test asserts the counts afterwards. It reads from the moment it is
// connected (stop_reading() plays a client that stops reading) and keeps what it read as lines.
//
// Ownership: the pipe is a UvHandle (closed by close() or the destructor). A write or a connect still in
// flight when the pipe closes completes with UV_ECANCELED and is not counted, so a client may go before the
// loop has run empty.
#include <uv.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/uv_handle.hpp"

namespace corral::test {

class LoopClient {
public:
    // Starts connecting to `socket`.
    LoopClient(uv_loop_t* loop, const std::filesystem::path& socket);
    LoopClient(const LoopClient&) = delete;
    LoopClient& operator=(const LoopClient&) = delete;

    bool connected() const { return connect_cb_called == 1 && connect_status == 0; }
    // One uv_write of `bytes`.
    void send(std::string bytes);
    void stop_reading();
    void start_reading();
    void close() { pipe_.close(); }

    int connect_cb_called = 0;
    int connect_status = 0;
    int write_cb_called = 0;
    int write_errors = 0;      // write callbacks with an error
    int eof_cb_called = 0;     // reads that ended in UV_EOF
    int read_errors = 0;       // reads that ended in another error
    std::vector<std::string> lines;  // complete lines, without their newline
    std::string partial;             // read, not yet a line

private:
    static void on_connect(uv_connect_t* request, int status);
    static void on_write(uv_write_t* request, int status);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    void take(std::string_view bytes);

    UvHandle<uv_pipe_t> pipe_;
    uv_connect_t connect_request_{};
};

}  // namespace corral::test
