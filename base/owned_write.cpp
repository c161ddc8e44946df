#include "base/owned_write.hpp"

#include <cstddef>

namespace corral {

int OwnedWrite::start(uv_stream_t* stream, std::string bytes, void* data, uv_write_cb on_written,
                      uv_write_t** started) {
    auto owned = std::make_unique<OwnedWrite>();
    owned->bytes = std::move(bytes);
    owned->request.data = data;
    uv_buf_t buf = uv_buf_init(owned->bytes.data(), static_cast<unsigned>(owned->bytes.size()));
    const int rc = uv_write(&owned->request, stream, &buf, 1, on_written);
    if (rc != 0) return rc;
    if (started != nullptr) *started = &owned->request;
    owned.release();  // freed through finished() in on_written
    return rc;
}

std::unique_ptr<OwnedWrite> OwnedWrite::finished(uv_write_t* request) {
    static_assert(offsetof(OwnedWrite, request) == 0);
    return std::unique_ptr<OwnedWrite>(reinterpret_cast<OwnedWrite*>(request));
}

}  // namespace corral
