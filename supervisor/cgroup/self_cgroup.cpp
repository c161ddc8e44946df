#include "supervisor/cgroup/self_cgroup.hpp"

#include <fstream>
#include <sstream>

namespace corral::supervisor::cgroup {

std::optional<std::string> own_cgroup_path(std::string_view proc_self_cgroup, std::string_view controller) {
    std::istringstream lines{std::string(proc_self_cgroup)};
    std::string line;
    while (std::getline(lines, line)) {
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string_view controllers = std::string_view(line).substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        if (controller.empty()) {
            if (line.compare(0, first, "0") == 0 && controllers.empty()) return path;
            continue;
        }
        std::size_t start = 0;
        while (start <= controllers.size()) {
            const std::size_t comma = std::min(controllers.find(',', start), controllers.size());
            if (controllers.substr(start, comma - start) == controller) return path;
            start = comma + 1;
        }
    }
    return std::nullopt;
}

std::string read_self_cgroup() {
    std::ifstream in("/proc/self/cgroup");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace corral::supervisor::cgroup
