#include "supervisor/cgroup/cgroup2_ops.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <signal.h>

#include <charconv>
#include <sstream>
#include <thread>

namespace corral::supervisor::cgroup::v2 {
namespace {

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\n");
    return text.substr(first, last - first + 1);
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

bool is_below(const fs::path& base, const fs::path& dir) {
    const fs::path relative = dir.lexically_normal().lexically_relative(base.lexically_normal());
    if (relative.empty() || relative == ".") return false;
    return *relative.begin() != "..";
}

Result<std::vector<pid_t>> procs_below(CgroupFs& fs, const fs::path& dir, bool top) {
    Result<std::string> text = fs.read(dir / "cgroup.procs");
    if (!text) {
        // A sub-group removed between subdirs() and this read had no process left in it.
        if (!top && text.error().code == ENOENT && !fs.exists(dir)) return std::vector<pid_t>{};
        return text.error();
    }
    std::vector<pid_t> pids;
    std::istringstream in(*text);
    pid_t pid = 0;
    while (in >> pid) pids.push_back(pid);
    for (const auto& sub : fs.subdirs(dir)) {
        Result<std::vector<pid_t>> below = procs_below(fs, dir / sub, false);
        if (!below) return below.error();
        pids.insert(pids.end(), below->begin(), below->end());
    }
    return pids;
}

}  // namespace

Status make_dirs(CgroupFs& fs, const fs::path& base, const fs::path& dir) {
    if (!is_below(base, dir)) return sys_error("create", dir.string(), EINVAL);
    fs::path current = base;
    for (const auto& part : dir.lexically_normal().lexically_relative(base.lexically_normal())) {
        current /= part;
        if (fs.exists(current)) continue;
        if (Status made = fs.make_dir(current); !made && made.error().code != EEXIST) return made;
    }
    return {};
}

Result<std::vector<pid_t>> procs(CgroupFs& fs, const fs::path& dir) { return procs_below(fs, dir, true); }

Result<std::map<std::string, std::uint64_t>> read_keyed(CgroupFs& fs, const fs::path& file) {
    Result<std::string> text = fs.read(file);
    if (!text) return text.error();
    std::map<std::string, std::uint64_t> values;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        const std::string_view view = trimmed(line);
        const auto space = view.find(' ');
        if (space == std::string_view::npos) continue;
        if (const auto value = parse_u64(trimmed(view.substr(space + 1)))) {
            values[std::string(view.substr(0, space))] = *value;
        }
    }
    return values;
}

Result<std::optional<std::uint64_t>> read_value(CgroupFs& fs, const fs::path& file) {
    Result<std::string> text = fs.read(file);
    if (!text) return text.error();
    const std::string_view value = trimmed(*text);
    if (value == "max") return std::optional<std::uint64_t>{};
    if (const auto number = parse_u64(value)) return std::optional<std::uint64_t>{*number};
    return sys_error("parse", file.string(), EINVAL);
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

Result<std::vector<std::string>> read_list(CgroupFs& fs, const fs::path& file) {
    Result<std::string> text = fs.read(file);
    if (!text) return text.error();
    std::vector<std::string> words;
    std::istringstream in(*text);
    std::string word;
    while (in >> word) words.push_back(word);
    return words;
}

Status enable_controllers(CgroupFs& fs, const fs::path& dir, const std::vector<std::string>& controllers) {
    if (controllers.empty()) return {};
    std::string request;
    for (const auto& controller : controllers) request += (request.empty() ? "+" : " +") + controller;
    return fs.write(dir / "cgroup.subtree_control", request);
}

Status attach(CgroupFs& fs, const fs::path& dir, pid_t pid) {
    return fs.write(dir / "cgroup.procs", std::to_string(pid));
}

Status wait_empty(CgroupFs& fs, const fs::path& dir, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        Result<bool> busy = populated(fs, dir);
        if (!busy) return busy.error();
        if (!*busy) return {};
        if (std::chrono::steady_clock::now() >= deadline) return sys_error("empty", dir.string(), ETIMEDOUT);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

Status kill_by_signal(CgroupFs& fs, const fs::path& dir) {
    Status frozen = freeze(fs, dir, true);
    if (!frozen && frozen.error().code != ENOENT) return frozen;
    Result<std::vector<pid_t>> pids = procs(fs, dir);
    Status outcome;
    if (!pids) {
        outcome = pids.error();
    } else {
        for (const pid_t pid : *pids) {
            if (::kill(pid, SIGKILL) != 0 && errno != ESRCH && outcome) {
                outcome = sys_error("kill process " + std::to_string(pid) + " of", dir.string());
            }
        }
    }
    // Thaw even after a failure: a group left frozen would hold its processes forever.
    if (frozen) {
        if (Status thawed = freeze(fs, dir, false); !thawed && outcome) outcome = thawed;
    }
    return outcome;
}

Status kill_all(CgroupFs& fs, const fs::path& dir) {
    Status killed = kill(fs, dir);
    if (killed || killed.error().code != ENOENT) return killed;
    if (!fs.exists(dir)) return sys_error("kill the processes of", dir.string(), ENOENT);
    return kill_by_signal(fs, dir);
}

Result<Pressure> read_pressure(CgroupFs& fs, const fs::path& file) {
    Result<std::string> text = fs.read(file);
    if (!text) return text.error();
    Pressure pressure;
    std::istringstream lines(*text);
    std::string kind;
    std::string avg10;
    std::string rest;
    while (lines >> kind >> avg10 && std::getline(lines, rest)) {
        if (avg10.rfind("avg10=", 0) != 0) return sys_error("parse", file.string(), EINVAL);
        const double value = std::strtod(avg10.c_str() + 6, nullptr);
        if (kind == "some") pressure.some_avg10 = value;
        if (kind == "full") {
            pressure.full_avg10 = value;
            if (const auto total = rest.find("total="); total != std::string::npos) {
                pressure.full_total_us = std::strtoull(rest.c_str() + total + 6, nullptr, 10);
            }
        }
    }
    return pressure;
}

Result<int> watch_modifications(const fs::path& file) {
    const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return sys_error("watch", file.string());
    if (inotify_add_watch(fd, file.c_str(), IN_MODIFY) < 0) {
        const SysError error = sys_error("watch", file.string());
        ::close(fd);
        return error;
    }
    return fd;
}

}  // namespace corral::supervisor::cgroup::v2
