#pragma once
// One buffer for every read of the daemon's loop: a read is consumed (decoded, logged, parsed) inside its
// callback before the next one starts, so channels, output pipes and control connections share it.
#include <uv.h>

#include <cstddef>

namespace corral {

inline constexpr std::size_t kSharedReadBufferSize = 256 * 1024;

// The shared buffer, at most `size` bytes of it (a reader that wants smaller reads says so).
uv_buf_t shared_read_buffer(std::size_t size = kSharedReadBufferSize);

// A uv_alloc_cb handing out the first `Size` bytes of the shared buffer.
template <std::size_t Size = kSharedReadBufferSize>
void alloc_shared_read_buffer(uv_handle_t*, std::size_t, uv_buf_t* buf) {
    static_assert(Size <= kSharedReadBufferSize);
    *buf = shared_read_buffer(Size);
}

}  // namespace corral
