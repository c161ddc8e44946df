#pragma once
// A libuv write that owns the bytes it writes: they live exactly as long as the request, which frees
// itself in the write callback. For writes whose source buffer does not outlive the call.
#include <uv.h>

#include <memory>
#include <string>

namespace corral {

struct OwnedWrite {
    uv_write_t request{};
    std::string bytes;

    // Starts writing `bytes` on `stream` with `data` as request.data; uv_write's result. On success the
    // write belongs to `on_written`, which must take it back with finished() (even when cancelled).
    // `started`, when given, receives the request: its owner may set request->data to null when it goes
    // away first (a write already completed when its stream closes is called back with its real status).
    static int start(uv_stream_t* stream, std::string bytes, void* data, uv_write_cb on_written,
                     uv_write_t** started = nullptr);
    static std::unique_ptr<OwnedWrite> finished(uv_write_t* request);
};

}  // namespace corral
