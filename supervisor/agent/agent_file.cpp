#include "supervisor/agent/agent_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "base/unique_fd.hpp"

namespace corral::agent {

namespace {

bool holds(const std::filesystem::path& file, std::string_view text) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    const std::string current{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return !in.bad() && current == text;
}

// 0, or the errno of the write that failed.
int write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return EIO;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
}

// A temporary file of its own (two daemons may install into one directory at once), given mode 0644
// whatever the umask, renamed over `file` once complete.
Status replace_file(const std::filesystem::path& file, std::string_view text) {
    std::string temp = file.string() + ".XXXXXX";
    UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (!fd) return sys_error("create a temporary file for", file.string());
    int code = ::fchmod(fd.get(), 0644) != 0 ? errno : write_all(fd.get(), text);
    if (code == 0 && ::close(fd.release()) != 0 && errno != EINTR) code = errno;
    if (code == 0 && ::rename(temp.c_str(), file.c_str()) != 0) code = errno;
    if (code != 0) {
        ::unlink(temp.c_str());
        return sys_error("write", file.string(), code);
    }
    return {};
}

}  // namespace

Result<std::filesystem::path> install_agent(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return SysError{ec.value(), "create directory", dir.string()};
    std::filesystem::path file = dir / kAgentFileName;
    if (holds(file, agent_source())) return file;
    if (Status written = replace_file(file, agent_source()); !written) return written.error();
    return file;
}

}  // namespace corral::agent
