#include "base/process_info.hpp"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <string>

namespace corral {

std::uint64_t written_bytes(const std::vector<pid_t>& pids) {
    std::uint64_t total = 0;
    for (const pid_t pid : pids) {
        std::ifstream io("/proc/" + std::to_string(pid) + "/io");
        std::string key;
        std::uint64_t value = 0;
        while (io >> key >> value) {
            if (key == "write_bytes:") {
                total += value;
                break;
            }
        }
    }
    return total;
}

bool is_node_process(pid_t pid) {
    char target[PATH_MAX];
    const std::string link = "/proc/" + std::to_string(pid) + "/exe";
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) return false;
    std::string_view path(target, static_cast<std::size_t>(n));
    if (path.ends_with(" (deleted)")) path.remove_suffix(10);
    const std::string_view name = path.substr(path.rfind('/') + 1);
    return name == "node" || name == "nodejs";
}

}  // namespace corral
