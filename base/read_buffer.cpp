#include "base/read_buffer.hpp"

#include <algorithm>

namespace corral {

uv_buf_t shared_read_buffer(std::size_t size) {
    static char buffer[kSharedReadBufferSize];
    return uv_buf_init(buffer, static_cast<unsigned>(std::min(size, kSharedReadBufferSize)));
}

}  // namespace corral
