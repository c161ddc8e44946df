#include "base/file_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

namespace corral {

Status write_file_atomically(const std::filesystem::path& file, const std::string& text) {
    const std::string temp = file.string() + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return sys_error("write", temp);
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const int err = errno;
    ::close(fd);
    if (!written || ::rename(temp.c_str(), file.c_str()) != 0) {
        const int code = written ? errno : err;
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
