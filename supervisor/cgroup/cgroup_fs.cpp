#include "supervisor/cgroup/cgroup_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd_reserve.hpp"

namespace corral::supervisor::cgroup {
namespace {

class RealCgroupFs final : public CgroupFs {
public:
    Status make_dir(const fs::path& dir) override {
        if (::mkdir(dir.c_str(), 0755) != 0) return sys_error("create", dir.string());
        return {};
    }

    Status remove_dir(const fs::path& dir) override {
        if (::rmdir(dir.c_str()) != 0) return sys_error("remove", dir.string());
        return {};
    }

    // At the descriptor limit, a reserve descriptor is given back for the call: stopping and killing
    // services must not depend on a spare one.
    Result<std::string> read(const fs::path& file) override {
        return with_spare_fd([&] { return read_once(file); });
    }

    Status write(const fs::path& file, std::string_view value) override {
        return with_spare_fd([&] { return write_once(file, value); });
    }

    bool exists(const fs::path& path) override {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0;
    }

    std::vector<std::string> subdirs(const fs::path& dir) override {
        std::vector<std::string> names;
        DIR* handle = opendir(dir.c_str());
        if (handle == nullptr && out_of_descriptors(errno) && fd_reserve().release_one()) {
            handle = opendir(dir.c_str());
            if (handle == nullptr) fd_reserve().refill();
        }
        if (handle == nullptr) return names;
        while (const dirent* entry = readdir(handle)) {
            if (entry->d_type != DT_DIR || entry->d_name[0] == '.') continue;
            names.emplace_back(entry->d_name);
        }
        closedir(handle);
        fd_reserve().refill();
        return names;
    }

private:
    static Result<std::string> read_once(const fs::path& file) {
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return sys_error("read", file.string());
        std::string text;
        char buffer[4096];
        while (true) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0) {
                if (errno == EINTR) continue;
                const SysError error = sys_error("read", file.string());
                ::close(fd);
                return error;
            }
            if (n == 0) break;
            text.append(buffer, static_cast<size_t>(n));
        }
        ::close(fd);
        return text;
    }

    static Status write_once(const fs::path& file, std::string_view value) {
        const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return sys_error("write", file.string());
        // cgroupfs takes one value per write(); a short write is an error, not a reason to continue.
        const ssize_t n = ::write(fd, value.data(), value.size());
        const int err = errno;
        ::close(fd);
        if (n < 0) return sys_error("write", file.string(), err);
        if (static_cast<size_t>(n) != value.size()) return sys_error("write", file.string(), EIO);
        return {};
    }
};

}  // namespace

CgroupFs& real_cgroup_fs() {
    static RealCgroupFs instance;
    return instance;
}

}  // namespace corral::supervisor::cgroup
