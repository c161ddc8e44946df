#include "supervisor/cgroup/hybrid_driver.hpp"

#include <libcgroup.h>
#include <linux/magic.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>
#include <utility>

#include "supervisor/cgroup/cgroup2_ops.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"

namespace corral::supervisor::cgroup {
namespace {

// v1 reports "no limit" as PAGE_COUNTER_MAX pages, 9223372036854771712 bytes with 4 KiB pages.
constexpr std::uint64_t kV1Unlimited = std::uint64_t{1} << 62;

SysError libcgroup_error(std::string what, std::string path, int rc) {
    if (rc == ECGOTHER) return sys_error(std::move(what), std::move(path), cgroup_get_last_errno());
    SysError error{EIO, std::move(what), std::move(path)};
    error.detail = cgroup_strerror(rc);
    return error;
}

// cgroup_init() parses the mount table once per process.
Status init_libcgroup() {
    static const int rc = cgroup_init();
    if (rc != 0) return libcgroup_error("initialize libcgroup for", "/proc/mounts", rc);
    return {};
}

struct Hierarchy {
    std::string controller;
    fs::path mount;  // /sys/fs/cgroup/memory
    fs::path own;    // the daemon's group in it: /process_api/6828
};

class HybridDriver final : public Driver {
public:
    HybridDriver(std::vector<Hierarchy> v1, std::optional<fs::path> unified, std::string top, CgroupFs& fs)
        : v1_(std::move(v1)), unified_(std::move(unified)), top_(std::move(top)), fs_(fs) {
        if (const Hierarchy* memory = find("memory")) {
            has_memsw_ = fs_.exists(memory->mount / memory->own.relative_path() / "memory.memsw.limit_in_bytes");
        }
    }

    Status prepare() {
        for (const auto& h : v1_) {
            if (Status made = create_v1(h, ""); !made) return made;
        }
        if (unified_) return v2::make_dirs(fs_, *unified_, *unified_ / top_);
        return {};
    }

    std::string describe() const override {
        std::string text = "hybrid cgroups: v1";
        for (const auto& h : v1_) text += " " + h.controller;
        text += unified_ ? " + unified cgroup2 at " + (*unified_ / top_).string() : " (no unified hierarchy)";
        return text;
    }

    std::vector<std::string> unsupported(const Limits& limits) const override {
        std::vector<std::string> missing;
        const auto need = [&](bool wanted, const char* key, const char* controller, const char* why) {
            if (wanted && find(controller) == nullptr) missing.push_back(std::string(key) + ": " + why);
        };
        need(limits.memory.max.has_value(), "memory.max", "memory", "the memory controller is not mounted");
        need(limits.memory.high.has_value(), "memory.high", "memory", "the memory controller is not mounted");
        need(limits.memory.swap_max.has_value(), "memory.swap_max", "memory", "the memory controller is not mounted");
        need(limits.pids.max.has_value(), "pids.max", "pids", "the pids controller is not mounted");
        need(limits.cpu.weight.has_value(), "cpu.weight", "cpu", "the cpu controller is not mounted");
        need(limits.cpu.max_percent.has_value(), "cpu.max", "cpu", "the cpu controller is not mounted");
        if (limits.memory.swap_max && find("memory") != nullptr && !has_memsw_) {
            missing.push_back("memory.swap_max: swap accounting is off (no memory.memsw.limit_in_bytes; boot with "
                              "swapaccount=1)");
        }
        return missing;
    }

    Status create(const std::string& name, const Limits& limits) override {
        for (const auto& h : v1_) {
            if (Status made = create_v1(h, name); !made) return made;
        }
        if (unified_) {
            if (Status made = v2::make_dirs(fs_, *unified_ / top_, *unified_ / top_ / name); !made) return made;
        }
        return set_limits(name, limits);
    }

    Status set_limits(const std::string& name, const Limits& limits) override {
        if (const Hierarchy* memory = find("memory")) {
            const auto bytes = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "-1"; };
            // memsw (memory + swap) may never be below the memory limit: lift it first, set it last.
            if (has_memsw_) {
                if (Status s = set_v1(*memory, name, "memory.memsw.limit_in_bytes", "-1"); !s) return s;
            }
            if (Status s = set_v1(*memory, name, "memory.limit_in_bytes", bytes(limits.memory.max)); !s) return s;
            if (Status s = set_v1(*memory, name, "memory.soft_limit_in_bytes", bytes(limits.memory.high)); !s) return s;
            if (has_memsw_ && limits.memory.swap_max) {
                const std::string total = limits.memory.max ? std::to_string(*limits.memory.max + *limits.memory.swap_max)
                                                            : std::string("-1");
                if (Status s = set_v1(*memory, name, "memory.memsw.limit_in_bytes", total); !s) return s;
            }
        }
        if (const Hierarchy* pids = find("pids")) {
            const std::string max = limits.pids.max ? std::to_string(*limits.pids.max) : "max";
            if (Status s = set_v1(*pids, name, "pids.max", max); !s) return s;
        }
        if (const Hierarchy* cpu = find("cpu")) {
            const std::string shares = std::to_string(cpu_shares_from_weight(limits.cpu.weight.value_or(100)));
            const std::string quota = limits.cpu.max_percent ? std::to_string(cpu_quota_us(*limits.cpu.max_percent)) : "-1";
            if (Status s = set_v1(*cpu, name, "cpu.shares", shares); !s) return s;
            if (Status s = set_v1(*cpu, name, "cpu.cfs_period_us", std::to_string(kCpuPeriodUs)); !s) return s;
            if (Status s = set_v1(*cpu, name, "cpu.cfs_quota_us", quota); !s) return s;
        }
        return {};
    }

    std::vector<JoinTarget> join_targets(const std::string& name) const override {
        std::vector<JoinTarget> targets;
        for (const auto& h : v1_) targets.push_back({h.controller, v1_dir(h, name)});
        if (unified_) targets.push_back({"", *unified_ / top_ / name});
        return targets;
    }

    Result<std::vector<pid_t>> procs(const std::string& name) override {
        if (unified_) return v2::procs(fs_, *unified_ / top_ / name);
        if (v1_.empty()) return std::vector<pid_t>{};
        return v2::procs(fs_, v1_dir(v1_.front(), name));  // cgroup.procs reads the same in v1
    }

    Result<bool> populated(const std::string& name) override {
        if (unified_) return v2::populated(fs_, *unified_ / top_ / name);
        Result<std::vector<pid_t>> pids = procs(name);
        if (!pids) return pids.error();
        return !pids->empty();
    }

    Status freeze(const std::string& name, bool frozen) override {
        if (unified_) return v2::freeze(fs_, *unified_ / top_ / name, frozen);
        const Hierarchy* freezer = find("freezer");
        if (freezer == nullptr) return sys_error("freeze", name, ENOTSUP);
        if (Status s = set_v1(*freezer, name, "freezer.state", frozen ? "FROZEN" : "THAWED"); !s) return s;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        const fs::path state = v1_dir(*freezer, name) / "freezer.state";
        while (true) {
            Result<std::string> now = fs_.read(state);
            if (!now) return now.error();
            if (now->rfind(frozen ? "FROZEN" : "THAWED", 0) == 0) return {};
            if (std::chrono::steady_clock::now() >= deadline) return sys_error("freeze", state.string(), ETIMEDOUT);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }

    Status kill_all(const std::string& name) override {
        if (unified_) return v2::kill_all(fs_, *unified_ / top_ / name);
        // v1 only: freeze so that nothing forks while the list is read, kill each, thaw (the v1 freezer
        // delivers the SIGKILLs only once thawed).
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

    Result<MemoryStats> memory(const std::string& name) override {
        const Hierarchy* memory = find("memory");
        if (memory == nullptr) return sys_error("read memory statistics of", name, ENOTSUP);
        // Single files are read directly: cgroup_get_cgroup() would read every file of the group (0.4 ms).
        const fs::path dir = v1_dir(*memory, name);
        MemoryStats stats;
        const auto number = [&](const char* file, std::uint64_t& out) -> Status {
            Result<std::optional<std::uint64_t>> value = v2::read_value(fs_, dir / file);
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

        void* handle = nullptr;
        ::cgroup_stat stat{};
        const std::string path = (memory->own / top_ / name).string();
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
        if (unified_) {
            if (Result<v2::Pressure> pressure = v2::read_pressure(fs_, *unified_ / top_ / name / "memory.pressure")) {
                stats.psi_some_avg10 = pressure->some_avg10;
                stats.psi_full_avg10 = pressure->full_avg10;
            }
        }
        return stats;
    }

    Result<int> open_oom_watch(const std::string& name) override {
        const Hierarchy* memory = find("memory");
        if (memory == nullptr) return sys_error("watch out-of-memory events of", name, ENOTSUP);
        const fs::path dir = v1_dir(*memory, name);
        const int event = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (event < 0) return sys_error("create an eventfd for", dir.string());
        const int control = ::open((dir / "memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
        if (control < 0) {
            const SysError error = sys_error("open", (dir / "memory.oom_control").string());
            ::close(event);
            return error;
        }
        // The registration lives as long as the eventfd; the control file is only named by it.
        const Status registered = fs_.write(dir / "cgroup.event_control",
                                            std::to_string(event) + " " + std::to_string(control));
        ::close(control);
        if (!registered) {
            ::close(event);
            return registered.error();
        }
        return event;
    }

    Result<std::uint64_t> oom_kills(const std::string& name) override {
        const Hierarchy* memory = find("memory");
        if (memory == nullptr) return sys_error("read out-of-memory events of", name, ENOTSUP);
        Result<std::map<std::string, std::uint64_t>> oom = v2::read_keyed(fs_, v1_dir(*memory, name) / "memory.oom_control");
        if (!oom) return oom.error();
        return oom->contains("oom_kill") ? oom->at("oom_kill") : std::uint64_t{0};
    }

    bool supports_pressure() const override { return unified_ && fs_.exists(*unified_ / top_ / "memory.pressure"); }

    fs::path pressure_file(const std::string& name) const override {
        if (!unified_) return {};
        const fs::path file = *unified_ / top_ / name / "memory.pressure";
        return fs_.exists(file) ? file : fs::path();
    }

    Status reset_peak(const std::string& name) override {
        const Hierarchy* memory = find("memory");
        if (memory == nullptr) return {};
        return fs_.write(v1_dir(*memory, name) / "memory.max_usage_in_bytes", "0");
    }

    Result<std::string> memory_stat(const std::string& name) override {
        const Hierarchy* memory = find("memory");
        if (memory == nullptr) return sys_error("read memory.stat of", name, ENOTSUP);
        return fs_.read(v1_dir(*memory, name) / "memory.stat");
    }

    Status remove(const std::string& name) override {
        Result<bool> busy = populated(name);
        if (!busy) return busy.error();
        if (*busy) return sys_error("remove", name, EBUSY);
        // rmdir, not cgroup_delete_cgroup(): libcgroup 2.0.2 moves live tasks to the parent and reports
        // success, and with CGFLAG_DELETE_EMPTY_ONLY reports success without deleting.
        for (const auto& h : v1_) {
            if (Status s = remove_leaf(v1_dir(h, ""), name); !s) return s;
        }
        if (unified_) return remove_leaf(*unified_ / top_, name);
        return {};
    }

    fs::path events_file(const std::string& name) const override {
        return unified_ ? *unified_ / top_ / name / "cgroup.events" : fs::path();
    }

    Result<int> clear_leftovers() override {
        Result<std::vector<pid_t>> pids = procs("");
        if (!pids) return pids.error();
        const int count = static_cast<int>(pids->size());
        if (count > 0) {
            if (Status killed = kill_all(""); !killed) return killed.error();
            if (Status empty = wait_empty(std::chrono::seconds(2)); !empty) return empty.error();
        }
        for (const auto& h : v1_) {
            for (const auto& sub : fs_.subdirs(v1_dir(h, ""))) {
                if (Status s = v2::remove_tree(fs_, v1_dir(h, sub)); !s) return s.error();
            }
        }
        if (unified_) {
            for (const auto& sub : fs_.subdirs(*unified_ / top_)) {
                if (Status s = v2::remove_tree(fs_, *unified_ / top_ / sub); !s) return s.error();
            }
        }
        return count;
    }

    Status remove_top() override {
        for (const auto& h : v1_) {
            if (Status s = v2::remove_tree(fs_, v1_dir(h, "")); !s) return s;
        }
        if (unified_) return v2::remove_tree(fs_, *unified_ / top_);
        return {};
    }

private:
    Status wait_empty(std::chrono::milliseconds timeout) {
        if (unified_) return v2::wait_empty(fs_, *unified_ / top_, timeout);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            Result<bool> busy = populated("");
            if (!busy) return busy.error();
            if (!*busy) return {};
            if (std::chrono::steady_clock::now() >= deadline) return sys_error("empty", top_, ETIMEDOUT);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    const Hierarchy* find(std::string_view controller) const {
        for (const auto& h : v1_) {
            if (h.controller == controller) return &h;
        }
        return nullptr;
    }

    fs::path v1_dir(const Hierarchy& h, const std::string& name) const {
        fs::path dir = h.mount / h.own.relative_path() / top_;
        return name.empty() ? dir : dir / name;
    }

    // libcgroup names a group by its path below the controller's mount point.
    std::string libcgroup_name(const Hierarchy& h, const std::string& name) const {
        return (h.own.relative_path() / top_ / name).lexically_normal().string();
    }

    Status create_v1(const Hierarchy& h, const std::string& name) {
        ::cgroup* group = cgroup_new_cgroup(libcgroup_name(h, name).c_str());
        if (group == nullptr) return sys_error("create", v1_dir(h, name).string(), ENOMEM);
        cgroup_add_controller(group, h.controller.c_str());
        const int rc = cgroup_create_cgroup(group, /*ignore_ownership=*/1);
        cgroup_free(&group);
        if (rc != 0) return libcgroup_error("create", v1_dir(h, name).string(), rc);
        return {};
    }

    // One value per call, so that an error names the file that refused it.
    Status set_v1(const Hierarchy& h, const std::string& name, const char* key, const std::string& value) {
        ::cgroup* group = cgroup_new_cgroup(libcgroup_name(h, name).c_str());
        if (group == nullptr) return sys_error("write", (v1_dir(h, name) / key).string(), ENOMEM);
        ::cgroup_controller* controller = cgroup_add_controller(group, h.controller.c_str());
        int rc = controller == nullptr ? ECGFAIL : cgroup_add_value_string(controller, key, value.c_str());
        if (rc == 0) rc = cgroup_modify_cgroup(group);
        cgroup_free(&group);
        if (rc != 0) return libcgroup_error("write " + value + " to", (v1_dir(h, name) / key).string(), rc);
        return {};
    }

    Status remove_leaf(const fs::path& top_dir, const std::string& name) {
        if (Status s = v2::remove_tree(fs_, top_dir / name); !s) return s;
        // The service's group ("api") goes with its last instance.
        const fs::path parent = (top_dir / name).parent_path();
        if (parent != top_dir && fs_.exists(parent) && fs_.subdirs(parent).empty()) return v2::remove_tree(fs_, parent);
        return {};
    }

    std::vector<Hierarchy> v1_;
    std::optional<fs::path> unified_;  // the daemon's own unified group; the top group goes below it
    std::string top_;
    CgroupFs& fs_;
    bool has_memsw_ = false;
};

bool is_cgroup2(const fs::path& path) {
    struct statfs st {};
    return ::statfs(path.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

}  // namespace

Result<std::unique_ptr<Driver>> make_hybrid_driver(const DriverOptions& options) {
    if (Status ready = init_libcgroup(); !ready) return ready.error();
    CgroupFs& fs = options.fs != nullptr ? *options.fs : real_cgroup_fs();

    std::vector<Hierarchy> v1;
    std::optional<fs::path> unified;
    if (const auto own = own_cgroup_path(options.self_cgroup, ""); own && is_cgroup2(options.root / "unified")) {
        unified = options.root / "unified" / fs::path(*own).relative_path();
    }
    for (const char* controller : {"memory", "pids", "cpu", "freezer"}) {
        // The v1 freezer is needed only where the unified hierarchy cannot freeze.
        if (std::string_view(controller) == "freezer" && unified) continue;
        char* mount = nullptr;
        if (cgroup_get_subsys_mount_point(controller, &mount) != 0 || mount == nullptr) continue;
        const fs::path mount_point = mount;
        std::free(mount);
        const auto own = own_cgroup_path(options.self_cgroup, controller);
        if (!own) continue;
        v1.push_back({controller, mount_point, fs::path(*own)});
    }
    if (v1.empty() && !unified) {
        return sys_error("use cgroups at", options.root.string(), ENOENT);
    }
    auto driver = std::make_unique<HybridDriver>(std::move(v1), std::move(unified), options.top, fs);
    if (Status ready = driver->prepare(); !ready) return ready.error();
    return std::unique_ptr<Driver>(std::move(driver));
}

}  // namespace corral::supervisor::cgroup
