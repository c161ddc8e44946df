#include "supervisor/cgroup/v1_hierarchies.hpp"

#include <libcgroup.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <tuple>
#include <utility>

#include "base/fd_reserve.hpp"
#include "supervisor/cgroup/cgroup2_ops.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"

namespace corral::supervisor::cgroup {
namespace {

// v1 reports "no limit" as PAGE_COUNTER_MAX pages, 9223372036854771712 bytes with 4 KiB pages.
constexpr std::uint64_t kV1Unlimited = std::uint64_t{1} << 62;

// libcgroup's codes name its own view of a failure: ECGOTHER carries the errno, but a file it could not
// open may also come back as "Cgroup is not mounted" (its mount check opens /proc/mounts) or another code
// of its own. `saved_errno` is errno right after the call: out of descriptors or memory, say so.
SysError libcgroup_error(std::string what, std::string path, int rc, int saved_errno) {
    if (rc == ECGOTHER) return sys_error(std::move(what), std::move(path), cgroup_get_last_errno());
    if (saved_errno == EMFILE || saved_errno == ENFILE || saved_errno == ENOMEM || saved_errno == ENOSPC) {
        return sys_error(std::move(what), std::move(path), saved_errno);
    }
    SysError error{EIO, std::move(what), std::move(path)};
    error.detail = cgroup_strerror(rc);
    return error;
}

// Runs a libcgroup call (returning its code); at the descriptor limit, once more with a reserve
// descriptor given back. Returns the code and errno right after the last call.
template <typename Call>
std::pair<int, int> libcgroup_call(Call&& call) {
    errno = 0;
    int rc = call();
    int saved = errno;
    if (rc != 0 && out_of_descriptors(rc == ECGOTHER ? cgroup_get_last_errno() : saved) && fd_reserve().release_one()) {
        errno = 0;
        rc = call();
        saved = errno;
        fd_reserve().refill();
    }
    return {rc, saved};
}

// cgroup_init() parses the mount table once per process.
Status init_libcgroup() {
    static const int rc = cgroup_init();
    if (rc != 0) return libcgroup_error("initialize libcgroup for", "/proc/mounts", rc, errno);
    return {};
}

}  // namespace

Result<std::vector<V1Hierarchy>> find_v1_hierarchies(std::string_view self_cgroup, bool freezer) {
    if (Status ready = init_libcgroup(); !ready) return ready.error();
    std::vector<V1Hierarchy> found;
    for (const char* controller : {"memory", "pids", "cpu", "freezer"}) {
        if (std::string_view(controller) == "freezer" && !freezer) continue;
        char* mount = nullptr;
        if (cgroup_get_subsys_mount_point(controller, &mount) != 0 || mount == nullptr) continue;
        const fs::path mount_point = mount;
        std::free(mount);
        const auto own = own_cgroup_path(self_cgroup, controller);
        if (!own) continue;
        found.push_back({controller, mount_point, fs::path(*own)});
    }
    return found;
}

V1Hierarchies::V1Hierarchies(std::vector<V1Hierarchy> hierarchies, std::string top, CgroupFs& fs)
    : hierarchies_(std::move(hierarchies)), top_(std::move(top)), fs_(fs) {
    if (const V1Hierarchy* memory = find("memory")) {
        has_memsw_ = fs_.exists(memory->mount / memory->own.relative_path() / "memory.memsw.limit_in_bytes");
    }
}

const V1Hierarchy* V1Hierarchies::find(std::string_view controller) const {
    for (const auto& h : hierarchies_) {
        if (h.controller == controller) return &h;
    }
    return nullptr;
}

fs::path V1Hierarchies::dir(const V1Hierarchy& h, const std::string& name) const {
    fs::path dir = h.mount / h.own.relative_path() / top_;
    return name.empty() ? dir : dir / name;
}

std::string V1Hierarchies::libcgroup_name(const V1Hierarchy& h, const std::string& name) const {
    return (h.own.relative_path() / top_ / name).lexically_normal().string();
}

const V1Hierarchy* V1Hierarchies::membership() const {
    for (const auto& h : hierarchies_) {
        if (h.controller != "cpu") return &h;
    }
    return hierarchies_.empty() ? nullptr : &hierarchies_.front();
}

// Without another hierarchy to say who is in an instance, cpu groups are made eagerly.
bool V1Hierarchies::lazy(const V1Hierarchy& h, const std::string& name) const {
    return h.controller == "cpu" && !name.empty() && membership() != &h;
}

bool V1Hierarchies::has_own(const V1Hierarchy& h, const std::string& name) const { return fs_.exists(dir(h, name)); }

fs::path V1Hierarchies::join_dir(const V1Hierarchy& h, const std::string& name) const {
    return lazy(h, name) && !has_own(h, name) ? dir(h, "") : dir(h, name);
}

Status V1Hierarchies::create(const std::string& name) {
    for (const auto& h : hierarchies_) {
        if (lazy(h, name)) continue;
        if (Status made = create_in(h, name); !made) return made;
    }
    return {};
}

Status V1Hierarchies::create_in(const V1Hierarchy& h, const std::string& name) {
    ::cgroup* group = cgroup_new_cgroup(libcgroup_name(h, name).c_str());
    if (group == nullptr) return sys_error("create", dir(h, name).string(), ENOMEM);
    cgroup_add_controller(group, h.controller.c_str());
    const auto [rc, saved_errno] = libcgroup_call([&] { return cgroup_create_cgroup(group, /*ignore_ownership=*/1); });
    cgroup_free(&group);
    if (rc != 0) return libcgroup_error("create", dir(h, name).string(), rc, saved_errno);
    return {};
}

Status V1Hierarchies::set(const V1Hierarchy& h, const std::string& name, const char* key, const std::string& value) {
    ::cgroup* group = cgroup_new_cgroup(libcgroup_name(h, name).c_str());
    if (group == nullptr) return sys_error("write", (dir(h, name) / key).string(), ENOMEM);
    ::cgroup_controller* controller = cgroup_add_controller(group, h.controller.c_str());
    int rc = controller == nullptr ? ECGFAIL : cgroup_add_value_string(controller, key, value.c_str());
    int saved_errno = 0;
    if (rc == 0) std::tie(rc, saved_errno) = libcgroup_call([&] { return cgroup_modify_cgroup(group); });
    cgroup_free(&group);
    if (rc != 0) return libcgroup_error("write " + value + " to", (dir(h, name) / key).string(), rc, saved_errno);
    return {};
}

Status V1Hierarchies::set_limits(const std::string& name, const Limits& limits) {
    if (const V1Hierarchy* memory = find("memory")) {
        if (Status s = set_memory_limits(*memory, name, limits.memory); !s) return s;
    }
    if (const V1Hierarchy* pids = find("pids")) {
        const std::string max = limits.pids.max ? std::to_string(*limits.pids.max) : "max";
        if (Status s = set(*pids, name, "pids.max", max); !s) return s;
    }
    const V1Hierarchy* cpu = find("cpu");
    if (cpu == nullptr) return {};
    const bool lazy_cpu = lazy(*cpu, name);
    if (lazy_cpu && !has_own(*cpu, name)) {
        if (!has_cpu_limits(limits)) return {};
        if (Status made = create_in(*cpu, name); !made) return made;
    }
    const std::string shares = std::to_string(cpu_shares_from_weight(limits.cpu.weight.value_or(100)));
    const std::string quota = limits.cpu.max_percent ? std::to_string(cpu_quota_us(*limits.cpu.max_percent)) : "-1";
    if (Status s = set(*cpu, name, "cpu.shares", shares); !s) return s;
    if (Status s = set(*cpu, name, "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)); !s) return s;
    if (Status s = set(*cpu, name, "cpu.cfs_quota_us", quota); !s) return s;
    return lazy_cpu ? move_into_cpu(*cpu, name) : Status{};
}

Status V1Hierarchies::set_cpu_max(const std::string& name, std::optional<unsigned> max_percent) {
    const V1Hierarchy* cpu = find("cpu");
    if (cpu == nullptr) return sys_error("cap the CPU of", name, ENOTSUP);
    const bool lazy_cpu = lazy(*cpu, name);
    if (lazy_cpu && !has_own(*cpu, name)) {
        if (!max_percent) return {};  // no cap on the top group's share: nothing to lift
        if (Status made = create_in(*cpu, name); !made) return made;
        if (Status s = set(*cpu, name, "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)); !s) return s;
    }
    if (Status s = set(*cpu, name, "cpu.cfs_quota_us", max_percent ? std::to_string(cpu_quota_us(*max_percent)) : "-1"); !s) {
        return s;
    }
    // Also when it had one already: a process that joined the top group while the group was being made
    // (a standby's exec shim, between its writes) comes in now.
    return lazy_cpu ? move_into_cpu(*cpu, name) : Status{};
}

Status V1Hierarchies::move_into_cpu(const V1Hierarchy& cpu, const std::string& name) {
    const fs::path target = dir(cpu, name);
    // A process that forks while the lists are read leaves its child behind: read again until none is.
    constexpr int kRounds = 8;
    for (int round = 0; round < kRounds; ++round) {
        Result<std::vector<pid_t>> members = procs(name);
        if (!members) return members.error();
        Result<std::vector<pid_t>> inside = v2::procs(fs_, target);
        if (!inside) return inside.error();
        bool moved = false;
        for (const pid_t pid : *members) {
            if (std::find(inside->begin(), inside->end(), pid) != inside->end()) continue;
            Status written = fs_.write(target / "cgroup.procs", std::to_string(pid));
            if (!written && written.error().code != ESRCH) return written;
            moved = true;
        }
        if (!moved) return {};
    }
    return sys_error("move every process into", target.string(), EAGAIN);
}

Status V1Hierarchies::weigh_top_cpu() {
    const V1Hierarchy* cpu = find("cpu");
    if (cpu == nullptr) return {};
    return set(*cpu, "", "cpu.shares", std::to_string(cpu_shares_from_weight(kInstancesCpuWeight)));
}

Status V1Hierarchies::set_memory_limits(const V1Hierarchy& memory, const std::string& name, const MemoryLimits& limits) {
    const auto bytes = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "-1"; };
    // memsw (memory + swap) may never be below the memory limit: lift it first, set it last.
    if (has_memsw_) {
        if (Status s = set(memory, name, "memory.memsw.limit_in_bytes", "-1"); !s) return s;
    }
    if (Status s = set(memory, name, "memory.limit_in_bytes", bytes(limits.max)); !s) return s;
    if (Status s = set(memory, name, "memory.soft_limit_in_bytes", bytes(limits.high)); !s) return s;
    if (has_memsw_ && limits.swap_max) {
        const std::string total = limits.max ? std::to_string(*limits.max + *limits.swap_max) : std::string("-1");
        if (Status s = set(memory, name, "memory.memsw.limit_in_bytes", total); !s) return s;
    }
    return {};
}

Result<std::vector<pid_t>> V1Hierarchies::procs(const std::string& name) {
    const V1Hierarchy* members = membership();
    if (members == nullptr) return std::vector<pid_t>{};
    return v2::procs(fs_, dir(*members, name));  // cgroup.procs reads the same in v1
}

Result<bool> V1Hierarchies::populated(const std::string& name) {
    Result<std::vector<pid_t>> pids = procs(name);
    if (!pids) return pids.error();
    return !pids->empty();
}

Status V1Hierarchies::freeze(const std::string& name, bool frozen) {
    const V1Hierarchy* freezer = find("freezer");
    if (freezer == nullptr) return sys_error("freeze", name, ENOTSUP);
    if (Status s = set(*freezer, name, "freezer.state", frozen ? "FROZEN" : "THAWED"); !s) return s;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    const fs::path state = dir(*freezer, name) / "freezer.state";
    while (true) {
        Result<std::string> now = fs_.read(state);
        if (!now) return now.error();
        if (now->rfind(frozen ? "FROZEN" : "THAWED", 0) == 0) return {};
        if (std::chrono::steady_clock::now() >= deadline) return sys_error("freeze", state.string(), ETIMEDOUT);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

Status V1Hierarchies::kill_all(const std::string& name) {
    const bool can_freeze = find("freezer") != nullptr;
    if (can_freeze) {
        if (Status s = freeze(name, true); !s) return s;
    }
    Result<std::vector<pid_t>> pids = procs(name);
    if (pids) {
        for (const pid_t pid : *pids) ::kill(pid, SIGKILL);
    }
    if (can_freeze) {
        if (Status s = freeze(name, false); !s) return s;
    }
    if (!pids) return pids.error();
    return {};
}

Status V1Hierarchies::wait_empty(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        Result<bool> busy = populated("");
        if (!busy) return busy.error();
        if (!*busy) return {};
        if (std::chrono::steady_clock::now() >= deadline) return sys_error("empty", top_, ETIMEDOUT);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

Result<MemoryStats> V1Hierarchies::memory(const std::string& name) {
    const V1Hierarchy* memory = find("memory");
    if (memory == nullptr) return sys_error("read memory statistics of", name, ENOTSUP);
    const fs::path group = dir(*memory, name);
    MemoryStats stats;
    const auto number = [&](const char* file, std::uint64_t& out) -> Status {
        Result<std::optional<std::uint64_t>> value = v2::read_value(fs_, group / file);
        if (!value) return value.error();
        out = value->value_or(0);
        return {};
    };
    std::uint64_t limit = 0;
    if (Status s = number("memory.usage_in_bytes", stats.current); !s) return s.error();
    if (Status s = number("memory.max_usage_in_bytes", stats.peak); !s) return s.error();
    if (Status s = number("memory.limit_in_bytes", limit); !s) return s.error();
    if (Status s = number("memory.failcnt", stats.limit_hits); !s) return s.error();
    if (limit < kV1Unlimited) stats.max = limit;
    Result<std::uint64_t> oom = oom_kills(name);
    if (!oom) return oom.error();
    stats.oom_kills = *oom;
    read_stat_totals(*memory, name, stats);
    return stats;
}

// The totals of memory.stat (the group and its sub-groups), through libcgroup's stat reader.
void V1Hierarchies::read_stat_totals(const V1Hierarchy& memory, const std::string& name, MemoryStats& stats) const {
    void* handle = nullptr;
    ::cgroup_stat stat{};
    const std::string path = (memory.own / top_ / name).string();
    for (int rc = cgroup_read_stats_begin("memory", path.c_str(), &handle, &stat); rc == 0;
         rc = cgroup_read_stats_next(&handle, &stat)) {
        const std::string_view key = stat.name;
        const std::uint64_t value = std::strtoull(stat.value, nullptr, 10);
        if (key == "total_rss") stats.anon = value;
        else if (key == "total_cache") stats.file = value;
        else if (key == "total_dirty") stats.dirty = value;
        else if (key == "total_writeback") stats.writeback = value;
        else if (key == "total_workingset_refault_anon") stats.refault_anon = value;
        else if (key == "total_workingset_refault_file") stats.refault_file = value;
    }
    cgroup_read_stats_end(&handle);
}

Result<ThresholdRegistration> V1Hierarchies::prepare_event(const std::string& name, const char* file,
                                                            const std::string& argument) {
    const V1Hierarchy* memory = find("memory");
    if (memory == nullptr) return sys_error("watch the memory events of", name, ENOTSUP);
    const fs::path group = dir(*memory, name);
    ThresholdRegistration registration;
    registration.event.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!registration.event) return sys_error("create an eventfd for", group.string());
    registration.watched.reset(::open((group / file).c_str(), O_RDONLY | O_CLOEXEC));
    if (!registration.watched) return sys_error("open", (group / file).string());
    registration.line = std::to_string(registration.event.get()) + " " + std::to_string(registration.watched.get());
    if (!argument.empty()) registration.line += " " + argument;
    registration.where = (group / "cgroup.event_control").string();
    return registration;
}

// The registration lives as long as the eventfd; the watched file is only named by it.
Result<int> V1Hierarchies::register_event(const std::string& name, const char* file, const std::string& argument) {
    Result<ThresholdRegistration> registration = prepare_event(name, file, argument);
    if (!registration) return registration.error();
    if (Status registered = fs_.write(registration->where, registration->line); !registered) return registered.error();
    return registration->event.release();
}

Result<int> V1Hierarchies::open_oom_watch(const std::string& name) { return register_event(name, "memory.oom_control", ""); }

Result<ThresholdRegistration> V1Hierarchies::prepare_threshold(const std::string& name, std::uint64_t bytes) {
    Result<ThresholdRegistration> registration = prepare_event(name, "memory.usage_in_bytes", std::to_string(bytes));
    if (!registration) return registration;
    registration->event_control.reset(::open(registration->where.c_str(), O_WRONLY | O_CLOEXEC));
    if (!registration->event_control) return sys_error("open", registration->where);
    return registration;
}

fs::path V1Hierarchies::usage_file(const std::string& name) const {
    const V1Hierarchy* memory = find("memory");
    return memory == nullptr ? fs::path() : dir(*memory, name) / "memory.usage_in_bytes";
}

Result<std::uint64_t> V1Hierarchies::oom_kills(const std::string& name) {
    const V1Hierarchy* memory = find("memory");
    if (memory == nullptr) return sys_error("read out-of-memory events of", name, ENOTSUP);
    Result<std::map<std::string, std::uint64_t>> oom = v2::read_keyed(fs_, dir(*memory, name) / "memory.oom_control");
    if (!oom) return oom.error();
    return oom->contains("oom_kill") ? oom->at("oom_kill") : std::uint64_t{0};
}

Status V1Hierarchies::reset_peak(const std::string& name) {
    const V1Hierarchy* memory = find("memory");
    if (memory == nullptr) return {};
    return fs_.write(dir(*memory, name) / "memory.max_usage_in_bytes", "0");
}

Result<std::string> V1Hierarchies::memory_stat(const std::string& name) {
    const V1Hierarchy* memory = find("memory");
    if (memory == nullptr) return sys_error("read memory.stat of", name, ENOTSUP);
    return fs_.read(dir(*memory, name) / "memory.stat");
}

}  // namespace corral::supervisor::cgroup
