#include "base/file_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

namespace corral {

namespace {

// Writes all of `text` to `fd`; 0, or the errno (a short write is followed by one that says why: ENOSPC).
int write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

}  // namespace

Status write_file_atomically(const std::filesystem::path& file, const std::string& text) {
    const std::string temp = file.string() + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return sys_error("write", temp);
    int code = write_all(fd, text);
    if (::close(fd) != 0 && code == 0 && errno != EINTR) code = errno;
    if (code == 0 && ::rename(temp.c_str(), file.c_str()) != 0) code = errno;
    if (code != 0) {
        ::unlink(temp.c_str());
        return sys_error("write", file.string(), code);
    }
    return {};
}

std::string tail_lines(const std::filesystem::path& file, int lines) {
    constexpr std::streamoff kMaxBytes = 256 * 1024;
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) return {};
    const std::streamoff size = in.tellg();
    const std::streamoff start = std::max<std::streamoff>(0, size - kMaxBytes);
    std::string text(static_cast<std::size_t>(size - start), '\0');
    in.seekg(start);
    in.read(text.data(), size - start);
    if (start > 0) text.erase(0, text.find('\n') + 1);  // a partial first line
    int found = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    if (found > lines) {
        std::size_t cut = 0;
        for (int skip = found - lines; skip > 0; --skip) cut = text.find('\n', cut) + 1;
        text.erase(0, cut);
        found = lines;
    }
    if (found < lines && start == 0 && file.extension() != ".1") {
        text.insert(0, tail_lines(file.string() + ".1", lines - found));
    }
    return text;
}

}  // namespace corral
