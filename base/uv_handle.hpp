#pragma once
// Ownership of one libuv handle from C++.
//
// Rule: the uv_close callback frees the handle. A UvHandle<T> owns a heap-allocated T (uv_timer_t,
// uv_pipe_t, uv_process_t, ...). Destroying or closing the owner calls uv_close; the memory is released in
// the close callback, because libuv still references the handle until then. The owner is move-only and
// close() is idempotent. After close() no callback of the handle runs again (except the close callback),
// so an object may close, or destroy, the handles of its own members from inside their callbacks.
//
// `data` belongs to the user: set it to the object whose member function the static trampolines call.
#include <uv.h>

#include <utility>

namespace corral {

template <typename T>
class UvHandle {
public:
    UvHandle() = default;
    ~UvHandle() { close(); }

    UvHandle(UvHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    UvHandle& operator=(UvHandle&& other) noexcept {
        if (this != &other) {
            close();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;

    // Allocates the handle and runs `init(loop, handle, args...)` (uv_timer_init, uv_pipe_init, ...).
    // On failure nothing is owned and the libuv error code is returned.
    template <typename Init, typename... Args>
    int init(Init init_fn, uv_loop_t* loop, Args&&... args) {
        close();
        T* handle = new T{};
        const int rc = init_fn(loop, handle, std::forward<Args>(args)...);
        if (rc < 0) {
            delete handle;
            return rc;
        }
        handle_ = handle;
        return 0;
    }

    // Takes a handle that libuv has already initialized, e.g. a process handle after uv_spawn, which
    // libuv initializes even when the spawn fails (it must then be closed like any other).
    void adopt(T* initialized) {
        close();
        handle_ = initialized;
    }

    void close() {
        if (handle_ == nullptr) return;
        auto* base = reinterpret_cast<uv_handle_t*>(std::exchange(handle_, nullptr));
        base->data = nullptr;
        if (!uv_is_closing(base)) uv_close(base, [](uv_handle_t* h) { delete reinterpret_cast<T*>(h); });
    }

    T* get() const { return handle_; }
    uv_handle_t* base() const { return reinterpret_cast<uv_handle_t*>(handle_); }
    uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(handle_); }
    explicit operator bool() const { return handle_ != nullptr; }

private:
    T* handle_ = nullptr;
};

}  // namespace corral
