#include "ipc/journal_io.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace corral::ipc::journal {

bool write_fully(int fd, iovec* iov, int count, std::uint64_t offset) {
    while (count > 0) {
        const ssize_t written = ::pwritev(fd, iov, count, static_cast<off_t>(offset));
        if (written < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (written == 0) {  // not expected from a regular file; do not spin on it
            errno = EIO;
            return false;
        }
        offset += static_cast<std::uint64_t>(written);
        auto left = static_cast<std::size_t>(written);
        while (count > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            ++iov;
            --count;
        }
        if (count > 0) {
            iov->iov_base = static_cast<char*>(iov->iov_base) + left;
            iov->iov_len -= left;
        }
    }
    return true;
}

bool read_fully(int fd, char* into, std::size_t size, std::uint64_t offset) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::pread(fd, into + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) {
            errno = 0;
            return false;
        }
        got += static_cast<std::size_t>(n);
    }
    return true;
}

Status make_directories(const std::filesystem::path& dir) {
    if (dir.empty()) return {};
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return {};  // not a directory: open() says so (ENOTDIR)
    if (dir.has_parent_path() && dir.parent_path() != dir) {
        if (auto parent = make_directories(dir.parent_path()); !parent) return parent;
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("create directory", dir.string());
    return {};
}

}  // namespace corral::ipc::journal
