#include "supervisor/cgroup/v2_driver.hpp"

#include <unistd.h>

#include <algorithm>
#include <iterator>

#include "supervisor/cgroup/cgroup2_ops.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"

namespace corral::supervisor::cgroup {
namespace {

constexpr auto kLeftoverTimeout = std::chrono::seconds(2);
constexpr const char* kDaemonLeaf = "supervisor";
constexpr std::uint64_t kPidMaxLimit = 4'194'304;

// Permission errors while preparing mean the daemon's cgroup was not delegated to it.
SysError delegation_error(SysError error) {
    if (error.code == EACCES || error.code == EPERM || error.code == EROFS) {
        return with_hint(std::move(error),
                         "corral needs the cgroup it runs in delegated to it (systemd: Delegate=yes)");
    }
    return error;
}

Status make_dir_if_missing(CgroupFs& fs, const fs::path& dir) {
    if (fs.exists(dir)) return {};
    Status made = fs.make_dir(dir);
    if (!made && made.error().code != EEXIST) return made;
    return {};
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
    return text.empty() ? "none" : text;
}

}  // namespace

bool valid_group_name(const std::string& name) {
    if (name.empty() || name.front() == '/' || name.back() == '/') return false;
    std::size_t start = 0;
    while (start <= name.size()) {
        const auto end = std::min(name.find('/', start), name.size());
        const std::string_view part = std::string_view(name).substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

const std::vector<std::string>& V2Driver::wanted_controllers() {
    static const std::vector<std::string> wanted{"memory", "pids", "cpu"};
    return wanted;
}

Result<std::unique_ptr<V2Driver>> V2Driver::open(const DriverOptions& options) {
    const std::optional<std::string> own = own_cgroup_path(options.self_cgroup, "");
    if (!own) {
        return with_hint(sys_error("find the daemon's cgroup in", "/proc/self/cgroup", ENOENT),
                         "there is no \"0::\" line: is the cgroup2 hierarchy mounted?");
    }
    CgroupFs& fs = options.fs != nullptr ? *options.fs : real_cgroup_fs();
    return open(fs, options.root, *own, options.top, options.self != 0 ? options.self : ::getpid());
}

Result<std::unique_ptr<V2Driver>> V2Driver::open(CgroupFs& fs, const fs::path& root, const std::string& own_path,
                                                 const std::string& top, pid_t self) {
    if (top.empty() || top.find('/') != std::string::npos || top == "." || top == "..") {
        return sys_error("use the top group name", "\"" + top + "\"", EINVAL);
    }
    fs::path base = root;
    for (const auto& part : fs::path(own_path).relative_path()) {
        if (!part.empty()) base /= part;
    }
    base = base.lexically_normal();
    if (base.filename() == kDaemonLeaf) base = base.parent_path();
    std::unique_ptr<V2Driver> driver(new V2Driver(fs, base, base / top));
    if (Status prepared = driver->prepare(self); !prepared) return prepared.error();
    return driver;
}

Status V2Driver::prepare(pid_t self) {
    if (!fs_.exists(base_ / "cgroup.controllers")) {
        return with_hint(sys_error("use the daemon's cgroup", base_.string(), ENOENT),
                         "it is not a cgroup2 directory (is /proc/self/cgroup read from this host?)");
    }
    Result<std::vector<std::string>> offered = v2::read_list(fs_, base_ / "cgroup.controllers");
    if (!offered) return offered.error();
    offered_ = *offered;
    for (const auto& controller : wanted_controllers()) {
        if (std::ranges::find(offered_, controller) != offered_.end()) enabled_.push_back(controller);
    }

    Result<std::vector<std::string>> subtree = v2::read_list(fs_, base_ / "cgroup.subtree_control");
    if (!subtree) return delegation_error(subtree.error());
    std::vector<std::string> missing;
    for (const auto& controller : enabled_) {
        if (std::ranges::find(*subtree, controller) == subtree->end()) missing.push_back(controller);
    }
    if (!missing.empty()) {
        // No internal processes: <base> can enable controllers only once nobody is in it, the daemon
        // included. The root cgroup (the only one without cgroup.events) is exempt.
        Result<std::vector<std::string>> inside = v2::read_list(fs_, base_ / "cgroup.procs");
        if (!inside) return delegation_error(inside.error());
        if (!inside->empty() && fs_.exists(base_ / "cgroup.events")) {
            const fs::path leaf = base_ / kDaemonLeaf;
            if (Status made = make_dir_if_missing(fs_, leaf); !made) return delegation_error(made.error());
            if (Status moved = v2::attach(fs_, leaf, self); !moved) return delegation_error(moved.error());
        }
        if (Status enabled = v2::enable_controllers(fs_, base_, missing); !enabled) {
            if (enabled.error().code == EBUSY) {
                return with_hint(enabled.error(), "other processes share " + base_.string() +
                                                      " with the daemon: corral needs a delegated cgroup subtree "
                                                      "where it is alone (systemd: Delegate=yes)");
            }
            return delegation_error(enabled.error());
        }
    }

    if (Status made = make_dir_if_missing(fs_, top_); !made) return delegation_error(made.error());
    // An earlier daemon may have left cpu on in <top>: then it stays on.
    if (Result<std::vector<std::string>> below = v2::read_list(fs_, top_ / "cgroup.subtree_control"); below) {
        cpu_on_ = has("cpu") && std::ranges::find(*below, "cpu") != below->end();
    }
    if (Status enabled = v2::enable_controllers(fs_, top_, subtree_controllers()); !enabled) {
        return delegation_error(enabled.error());
    }
    swap_accounted_ = has("memory") && fs_.exists(top_ / "memory.swap.max");
    if (has("cpu") && fs_.exists(top_ / "cpu.weight")) {
        if (Status weighed = fs_.write(top_ / "cpu.weight", std::to_string(kInstancesCpuWeight)); !weighed) return weighed;
    }
    return {};
}

bool V2Driver::has(const std::string& controller) const {
    return std::ranges::find(enabled_, controller) != enabled_.end();
}

std::vector<std::string> V2Driver::subtree_controllers() const {
    std::vector<std::string> controllers;
    for (const auto& controller : enabled_) {
        if (controller != "cpu" || cpu_on_) controllers.push_back(controller);
    }
    return controllers;
}

Status V2Driver::enable_cpu() {
    if (cpu_on_ || !has("cpu")) return {};
    if (Status enabled = v2::enable_controllers(fs_, top_, {"cpu"}); !enabled) return enabled;
    // Then every intermediate group ("api"), which holds instance groups and never a process.
    for (const auto& sub : fs_.subdirs(top_)) {
        if (fs_.subdirs(top_ / sub).empty()) continue;
        if (Status enabled = v2::enable_controllers(fs_, top_ / sub, {"cpu"}); !enabled) return enabled;
    }
    cpu_on_ = true;
    return {};
}

std::string V2Driver::describe() const { return "cgroup v2 at " + top_.string(); }

std::vector<std::string> V2Driver::unsupported(const Limits& limits) const {
    std::vector<std::string> lines;
    const auto need = [&](bool requested, const char* key, const std::string& controller) {
        if (!requested || has(controller)) return false;
        lines.push_back(std::string(key) + ": the " + controller + " controller is not delegated to " + base_.string() +
                        " (cgroup.controllers: " + joined(offered_) + ")");
        return true;
    };
    need(limits.memory.max.has_value(), "memory.max", "memory");
    need(limits.memory.high.has_value(), "memory.high", "memory");
    if (!need(limits.memory.swap_max.has_value(), "memory.swap_max", "memory") && limits.memory.swap_max &&
        !swap_accounted_) {
        lines.push_back("memory.swap_max: this kernel does not account swap (" + top_.string() +
                        " has no memory.swap.max)");
    }
    need(limits.pids.max.has_value(), "pids.max", "pids");
    need(limits.cpu.weight.has_value(), "cpu.weight", "cpu");
    need(limits.cpu.max_percent.has_value(), "cpu.max_percent", "cpu");
    return lines;
}

Status V2Driver::create(const std::string& name, const Limits& limits) {
    if (!valid_group_name(name)) return sys_error("create", dir_of(name).string(), EINVAL);
    if (has_cpu_limits(limits)) {
        if (Status enabled = enable_cpu(); !enabled) return enabled;
    }
    // Intermediate groups pass the controllers on; they must exist, with them enabled, before the leaf
    // is made, or the leaf would have no control files.
    fs::path dir = top_;
    const fs::path relative(name);
    for (auto part = relative.begin(); part != relative.end(); ++part) {
        dir /= *part;
        if (Status made = make_dir_if_missing(fs_, dir); !made) return made;
        if (std::next(part) == relative.end()) break;
        if (Status enabled = v2::enable_controllers(fs_, dir, subtree_controllers()); !enabled) return enabled;
    }
    return write_limits(dir, limits);
}

Status V2Driver::set_limits(const std::string& name, const Limits& limits) {
    if (!valid_group_name(name)) return sys_error("set limits of", dir_of(name).string(), EINVAL);
    if (!fs_.exists(dir_of(name))) return sys_error("set limits of", dir_of(name).string(), ENOENT);
    if (has_cpu_limits(limits)) {
        if (Status enabled = enable_cpu(); !enabled) return enabled;
    }
    return write_limits(dir_of(name), limits);
}

Status V2Driver::set_cpu_max(const std::string& name, std::optional<unsigned> max_percent) {
    if (!valid_group_name(name)) return sys_error("cap the CPU of", dir_of(name).string(), EINVAL);
    if (!has("cpu")) return sys_error("cap the CPU of", dir_of(name).string(), ENOTSUP);
    if (!cpu_on_ && !max_percent) return {};  // never capped: nothing to lift
    if (Status enabled = enable_cpu(); !enabled) return enabled;
    const std::string period = std::to_string(kCpuPeriodUs);
    return fs_.write(dir_of(name) / "cpu.max",
                     (max_percent ? std::to_string(cpu_quota_us(*max_percent)) : std::string("max")) + " " + period);
}

Status V2Driver::write_limits(const fs::path& dir, const Limits& limits) {
    const auto number_or_max = [](const std::optional<std::uint64_t>& value) {
        return value ? std::optional<std::string>(std::to_string(*value)) : std::nullopt;
    };
    struct Setting {
        const char* file;
        std::optional<std::string> value;  // nullopt: unset, write `unset` to restore the default
        std::string unset;
    };
    const std::string period = std::to_string(kCpuPeriodUs);
    // The kernel refuses pids.max above PID_MAX_LIMIT; no group can hold more pids than that anyway.
    const bool pids_unlimited = !limits.pids.max || *limits.pids.max > kPidMaxLimit;
    const Setting settings[] = {
        {"memory.max", number_or_max(limits.memory.max), "max"},
        {"memory.high", number_or_max(limits.memory.high), "max"},
        {"memory.swap.max", number_or_max(limits.memory.swap_max), "max"},
        {"pids.max", pids_unlimited ? std::nullopt : number_or_max(limits.pids.max), "max"},
        {"cpu.weight",
         limits.cpu.weight ? std::optional<std::string>(std::to_string(*limits.cpu.weight)) : std::nullopt, "100"},
        {"cpu.max",
         limits.cpu.max_percent
             ? std::optional<std::string>(std::to_string(cpu_quota_us(*limits.cpu.max_percent)) + " " + period)
             : std::nullopt,
         "max " + period},
    };
    for (const Setting& setting : settings) {
        const fs::path file = dir / setting.file;
        // An unset limit of a controller this host lacks has nothing to restore; a set one fails (ENOENT).
        if (!setting.value && !fs_.exists(file)) continue;
        if (Status written = fs_.write(file, setting.value ? *setting.value : setting.unset); !written) return written;
    }
    return {};
}

std::vector<JoinTarget> V2Driver::join_targets(const std::string& name) const { return {{"", dir_of(name)}}; }

Result<std::vector<pid_t>> V2Driver::procs(const std::string& name) {
    if (!valid_group_name(name)) return sys_error("list the processes of", dir_of(name).string(), EINVAL);
    return v2::procs(fs_, dir_of(name));
}

Result<bool> V2Driver::populated(const std::string& name) {
    if (!valid_group_name(name)) return sys_error("read the events of", dir_of(name).string(), EINVAL);
    return v2::populated(fs_, dir_of(name));
}

Status V2Driver::freeze(const std::string& name, bool frozen) {
    if (!valid_group_name(name)) return sys_error("freeze", dir_of(name).string(), EINVAL);
    return v2::freeze(fs_, dir_of(name), frozen);
}

Status V2Driver::kill_all(const std::string& name) {
    if (!valid_group_name(name)) return sys_error("kill the processes of", dir_of(name).string(), EINVAL);
    return v2::kill_all(fs_, dir_of(name));
}

Result<MemoryStats> V2Driver::memory(const std::string& name) {
    if (!valid_group_name(name)) return sys_error("read the memory of", dir_of(name).string(), EINVAL);
    const fs::path dir = dir_of(name);
    MemoryStats stats;
    Result<std::optional<std::uint64_t>> current = v2::read_value(fs_, dir / "memory.current");
    if (!current) return current.error();
    stats.current = current->value_or(0);
    Result<std::optional<std::uint64_t>> peak = v2::read_value(fs_, dir / "memory.peak");
    if (!peak && peak.error().code != ENOENT) return peak.error();  // memory.peak came in Linux 5.19
    if (peak) stats.peak = peak->value_or(0);
    Result<std::optional<std::uint64_t>> max = v2::read_value(fs_, dir / "memory.max");
    if (!max) return max.error();
    stats.max = *max;

    Result<std::map<std::string, std::uint64_t>> stat = v2::read_keyed(fs_, dir / "memory.stat");
    if (!stat) return stat.error();
    const auto field = [](const std::map<std::string, std::uint64_t>& values, const char* key) {
        const auto found = values.find(key);
        return found == values.end() ? std::uint64_t{0} : found->second;
    };
    stats.anon = field(*stat, "anon");
    stats.file = field(*stat, "file");
    stats.dirty = field(*stat, "file_dirty");
    stats.writeback = field(*stat, "file_writeback");
    stats.refault_anon = field(*stat, "workingset_refault_anon");
    stats.refault_file = field(*stat, "workingset_refault_file");

    Result<std::map<std::string, std::uint64_t>> events = v2::read_keyed(fs_, dir / "memory.events");
    if (!events) return events.error();
    stats.oom_kills = field(*events, "oom_kill");
    stats.limit_hits = field(*events, "max");
    if (Result<v2::Pressure> pressure = v2::read_pressure(fs_, dir / "memory.pressure")) {
        stats.psi_some_avg10 = pressure->some_avg10;
        stats.psi_full_avg10 = pressure->full_avg10;
        stats.psi_full_total_us = pressure->full_total_us;
    }
    return stats;
}

Result<int> V2Driver::open_oom_watch(const std::string& name) {
    if (!valid_group_name(name)) return sys_error("watch", dir_of(name).string(), EINVAL);
    return v2::watch_modifications(dir_of(name) / "memory.events");
}

Result<std::uint64_t> V2Driver::oom_kills(const std::string& name) {
    Result<std::map<std::string, std::uint64_t>> events = v2::read_keyed(fs_, dir_of(name) / "memory.events");
    if (!events) return events.error();
    return events->contains("oom_kill") ? events->at("oom_kill") : std::uint64_t{0};
}

bool V2Driver::supports_pressure() const { return fs_.exists(top_ / "memory.pressure"); }

fs::path V2Driver::pressure_file(const std::string& name) const {
    const fs::path file = dir_of(name) / "memory.pressure";
    return fs_.exists(file) ? file : fs::path();
}

fs::path V2Driver::usage_file(const std::string& name) const {
    return valid_group_name(name) ? dir_of(name) / "memory.current" : fs::path();
}

fs::path V2Driver::cpu_stat_file(const std::string& name) const {
    return valid_group_name(name) ? dir_of(name) / "cpu.stat" : fs::path();
}

Result<std::string> V2Driver::memory_stat(const std::string& name) { return fs_.read(dir_of(name) / "memory.stat"); }

Status V2Driver::remove(const std::string& name) {
    if (!valid_group_name(name)) return sys_error("remove", dir_of(name).string(), EINVAL);
    const fs::path dir = dir_of(name);
    if (fs_.exists(dir)) {
        Result<bool> busy = v2::populated(fs_, dir);
        if (!busy) return busy.error();
        if (*busy) return sys_error("remove", dir.string(), EBUSY);
        if (Status removed = v2::remove_tree(fs_, dir); !removed) return removed;
    }
    // Intermediate groups ("api") go with their last child; one still used by another instance stays.
    for (fs::path parent = dir.parent_path(); parent != top_; parent = parent.parent_path()) {
        if (!fs_.exists(parent)) continue;
        if (!fs_.subdirs(parent).empty()) break;
        Status removed = fs_.remove_dir(parent);
        if (!removed) return removed.error().code == EBUSY ? Status{} : removed;
        if (fs_.exists(parent)) return sys_error("remove", parent.string(), EBUSY);
    }
    return {};
}

fs::path V2Driver::events_file(const std::string& name) const { return dir_of(name) / "cgroup.events"; }

Result<int> V2Driver::clear_leftovers() {
    if (!fs_.exists(top_)) return 0;
    Result<std::vector<pid_t>> pids = v2::procs(fs_, top_);
    if (!pids) return pids.error();
    Result<bool> busy = v2::populated(fs_, top_);
    if (!busy) return busy.error();
    if (*busy || !pids->empty()) {
        if (Status killed = v2::kill_all(fs_, top_); !killed) return killed.error();
        if (Status empty = v2::wait_empty(fs_, top_, kLeftoverTimeout); !empty) return empty.error();
    }
    for (const auto& sub : fs_.subdirs(top_)) {
        if (Status removed = v2::remove_tree(fs_, top_ / sub); !removed) return removed.error();
    }
    return static_cast<int>(pids->size());
}

Status V2Driver::remove_top() {
    if (!fs_.exists(top_)) return {};
    if (Status removed = fs_.remove_dir(top_); !removed) return removed;
    if (fs_.exists(top_)) return sys_error("remove", top_.string(), EBUSY);
    return {};
}

}  // namespace corral::supervisor::cgroup
