#pragma once
// Results of kernel-facing calls: a value, or what failed (errno, the path, the operation), so that the
// error is logged once, where it is understood, with everything needed to act on it.
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

namespace corral {

struct SysError {
    SysError() = default;
    SysError(int code_, std::string what_, std::string path_, std::string hint_ = {})
        : code(code_), what(std::move(what_)), path(std::move(path_)), hint(std::move(hint_)) {}

    int code = 0;        // errno
    std::string what;    // "write", "mkdir", "create cgroup", ...
    std::string path;
    std::string hint;    // what to do about it, for the user; may be empty
    std::string detail;  // replaces strerror(code) when the cause is not an errno (a library's own error)

    // "cannot write /sys/fs/cgroup/x/memory.max: Permission denied" (+ "; " + hint)
    std::string message() const {
        std::string text = "cannot " + what + " " + path + ": " + (detail.empty() ? std::strerror(code) : detail);
        if (!hint.empty()) text += "; " + hint;
        return text;
    }
};

inline SysError sys_error(std::string what, std::string path, int code = errno) {
    return SysError{code, std::move(what), std::move(path)};
}

// `error` with a hint for the user added.
inline SysError with_hint(SysError error, std::string hint) {
    error.hint = std::move(hint);
    return error;
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(SysError error) : error_(std::move(error)) {}

    bool ok() const { return value_.has_value(); }
    explicit operator bool() const { return ok(); }
    T& operator*() { return *value_; }
    const T& operator*() const { return *value_; }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    const SysError& error() const { return error_; }

private:
    std::optional<T> value_;
    SysError error_;
};

// Success or a SysError.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(SysError error) : error_(std::move(error)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const SysError& error() const { return error_; }

private:
    SysError error_;
    bool failed_ = false;
};

}  // namespace corral
