#include "supervisor/cgroup/cgroup2_ops.hpp"

#include <chrono>
#include <sstream>
#include <thread>

namespace corral::supervisor::cgroup::v2 {

Status make_dirs(CgroupFs& fs, const fs::path& base, const fs::path& dir) {
    fs::path current = base;
    for (const auto& part : dir.lexically_relative(base)) {
        current /= part;
        if (fs.exists(current)) continue;
        if (Status made = fs.make_dir(current); !made && made.error().code != EEXIST) return made;
    }
    return {};
}

Result<std::vector<pid_t>> procs(CgroupFs& fs, const fs::path& dir) {
    Result<std::string> text = fs.read(dir / "cgroup.procs");
    if (!text) return text.error();
    std::vector<pid_t> pids;
    std::istringstream in(*text);
    pid_t pid = 0;
    while (in >> pid) pids.push_back(pid);
    for (const auto& sub : fs.subdirs(dir)) {
        Result<std::vector<pid_t>> below = procs(fs, dir / sub);
        if (!below) return below.error();
        pids.insert(pids.end(), below->begin(), below->end());
    }
    return pids;
}

Result<std::map<std::string, std::uint64_t>> read_keyed(CgroupFs& fs, const fs::path& file) {
    Result<std::string> text = fs.read(file);
    if (!text) return text.error();
    std::map<std::string, std::uint64_t> values;
    std::istringstream in(*text);
    std::string key;
    std::uint64_t value = 0;
    while (in >> key >> value) values[key] = value;
    return values;
}

Result<std::optional<std::uint64_t>> read_value(CgroupFs& fs, const fs::path& file) {
    Result<std::string> text = fs.read(file);
    if (!text) return text.error();
    if (text->rfind("max", 0) == 0) return std::optional<std::uint64_t>{};
    try {
        return std::optional<std::uint64_t>{std::stoull(*text)};
    } catch (const std::exception&) {
        return sys_error("parse", file.string(), EINVAL);
    }
}

Result<bool> populated(CgroupFs& fs, const fs::path& dir) {
    Result<std::map<std::string, std::uint64_t>> events = read_keyed(fs, dir / "cgroup.events");
    if (!events) return events.error();
    return events->contains("populated") && events->at("populated") != 0;
}

Status kill(CgroupFs& fs, const fs::path& dir) { return fs.write(dir / "cgroup.kill", "1"); }

Status freeze(CgroupFs& fs, const fs::path& dir, bool frozen) {
    if (Status written = fs.write(dir / "cgroup.freeze", frozen ? "1" : "0"); !written) return written;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (true) {
        Result<std::map<std::string, std::uint64_t>> events = read_keyed(fs, dir / "cgroup.events");
        if (!events) return events.error();
        const bool is_frozen = events->contains("frozen") && events->at("frozen") != 0;
        if (is_frozen == frozen) return {};
        if (std::chrono::steady_clock::now() >= deadline) return sys_error("freeze", dir.string(), ETIMEDOUT);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

Status remove_tree(CgroupFs& fs, const fs::path& dir) {
    if (!fs.exists(dir)) return {};
    for (const auto& sub : fs.subdirs(dir)) {
        if (Status removed = remove_tree(fs, dir / sub); !removed) return removed;
    }
    if (Status removed = fs.remove_dir(dir); !removed) return removed;
    if (fs.exists(dir)) return sys_error("remove", dir.string(), EBUSY);
    return {};
}

}  // namespace corral::supervisor::cgroup::v2
