#pragma once
// A disk that fills up on cue: lowers RLIMIT_FSIZE for this process (writes past `bytes` in any file
// then fail with EFBIG, after a short write up to the limit), ignoring SIGXFSZ; restored on destruction.
// Process-wide: only for single-threaded test cases that write nothing else meanwhile.
#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <stdexcept>

namespace corral::test {

class FileSizeLimit {
public:
    explicit FileSizeLimit(std::uint64_t bytes) {
        if (::getrlimit(RLIMIT_FSIZE, &saved_) != 0) throw std::runtime_error("getrlimit(RLIMIT_FSIZE) failed");
        saved_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        set(bytes);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, saved_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

    void set(std::uint64_t bytes) {
        rlimit limit = saved_;
        limit.rlim_cur = static_cast<rlim_t>(bytes);
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) throw std::runtime_error("setrlimit(RLIMIT_FSIZE) failed");
    }
    void lift() {
        if (::setrlimit(RLIMIT_FSIZE, &saved_) != 0) throw std::runtime_error("setrlimit(RLIMIT_FSIZE) failed");
    }

private:
    rlimit saved_{};
    void (*saved_handler_)(int) = SIG_DFL;
};

}  // namespace corral::test
