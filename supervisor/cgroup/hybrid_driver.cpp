#include "supervisor/cgroup/hybrid_driver.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <chrono>
#include <utility>

#include "supervisor/cgroup/cgroup2_ops.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"
#include "supervisor/cgroup/v1_hierarchies.hpp"

namespace corral::supervisor::cgroup {
namespace {

// Limits live in the v1 hierarchies (the unified one has no controllers here); processes are counted,
// frozen and killed through the unified group when there is one, which does those better.
class HybridDriver final : public Driver {
public:
    HybridDriver(std::vector<V1Hierarchy> v1, std::optional<fs::path> unified, std::string top, CgroupFs& fs)
        : v1_(std::move(v1), top, fs), unified_(std::move(unified)), top_(std::move(top)), fs_(fs) {}

    Status prepare() {
        if (Status made = v1_.create(""); !made) return made;
        if (Status weighed = v1_.weigh_top_cpu(); !weighed) return weighed;
        if (unified_) return v2::make_dirs(fs_, *unified_, *unified_ / top_);
        return {};
    }

    std::string describe() const override {
        std::string text = "hybrid cgroups: v1";
        for (const auto& h : v1_.all()) text += " " + h.controller;
        text += unified_ ? " + unified cgroup2 at " + (*unified_ / top_).string() : " (no unified hierarchy)";
        return text;
    }

    std::vector<std::string> unsupported(const Limits& limits) const override {
        std::vector<std::string> missing;
        const auto need = [&](bool wanted, const char* key, const char* controller, const char* why) {
            if (wanted && v1_.find(controller) == nullptr) missing.push_back(std::string(key) + ": " + why);
        };
        need(limits.memory.max.has_value(), "memory.max", "memory", "the memory controller is not mounted");
        need(limits.memory.high.has_value(), "memory.high", "memory", "the memory controller is not mounted");
        need(limits.memory.swap_max.has_value(), "memory.swap_max", "memory", "the memory controller is not mounted");
        need(limits.pids.max.has_value(), "pids.max", "pids", "the pids controller is not mounted");
        need(limits.cpu.weight.has_value(), "cpu.weight", "cpu", "the cpu controller is not mounted");
        need(limits.cpu.max_percent.has_value(), "cpu.max", "cpu", "the cpu controller is not mounted");
        if (limits.memory.swap_max && v1_.find("memory") != nullptr && !v1_.has_memsw()) {
            missing.push_back("memory.swap_max: swap accounting is off (no memory.memsw.limit_in_bytes; boot with "
                              "swapaccount=1)");
        }
        return missing;
    }

    Status create(const std::string& name, const Limits& limits) override {
        if (Status made = v1_.create(name); !made) return made;
        if (unified_) {
            if (Status made = v2::make_dirs(fs_, *unified_ / top_, unified(name)); !made) return made;
        }
        return set_limits(name, limits);
    }

    Status set_limits(const std::string& name, const Limits& limits) override { return v1_.set_limits(name, limits); }
    Status set_cpu_max(const std::string& name, std::optional<unsigned> max_percent) override {
        return v1_.set_cpu_max(name, max_percent);
    }

    std::vector<JoinTarget> join_targets(const std::string& name) const override {
        std::vector<JoinTarget> targets;
        for (const auto& h : v1_.all()) targets.push_back({h.controller, v1_.join_dir(h, name)});
        if (unified_) targets.push_back({"", unified(name)});
        return targets;
    }

    Result<std::vector<pid_t>> procs(const std::string& name) override {
        if (unified_) return v2::procs(fs_, unified(name));
        return v1_.procs(name);
    }

    Result<bool> populated(const std::string& name) override {
        if (unified_) return v2::populated(fs_, unified(name));
        return v1_.populated(name);
    }

    Status freeze(const std::string& name, bool frozen) override {
        if (unified_) return v2::freeze(fs_, unified(name), frozen);
        return v1_.freeze(name, frozen);
    }

    Status kill_all(const std::string& name) override {
        if (unified_) return v2::kill_all(fs_, unified(name));
        return v1_.kill_all(name);
    }

    Result<MemoryStats> memory(const std::string& name) override {
        Result<MemoryStats> stats = v1_.memory(name);
        if (stats && unified_) {
            if (Result<v2::Pressure> pressure = v2::read_pressure(fs_, unified(name) / "memory.pressure")) {
                stats->psi_some_avg10 = pressure->some_avg10;
                stats->psi_full_avg10 = pressure->full_avg10;
                stats->psi_full_total_us = pressure->full_total_us;
            }
        }
        return stats;
    }

    Result<int> open_oom_watch(const std::string& name) override { return v1_.open_oom_watch(name); }
    Result<std::uint64_t> oom_kills(const std::string& name) override { return v1_.oom_kills(name); }
    Status reset_peak(const std::string& name) override { return v1_.reset_peak(name); }
    Result<std::string> memory_stat(const std::string& name) override { return v1_.memory_stat(name); }
    fs::path usage_file(const std::string& name) const override { return v1_.usage_file(name); }
    fs::path cpu_stat_file(const std::string& name) const override {
        return unified_ ? unified(name) / "cpu.stat" : fs::path();
    }
    Result<ThresholdRegistration> prepare_threshold(const std::string& name, std::uint64_t bytes) override {
        return v1_.prepare_threshold(name, bytes);
    }

    bool supports_pressure() const override { return unified_ && fs_.exists(*unified_ / top_ / "memory.pressure"); }

    fs::path pressure_file(const std::string& name) const override {
        if (!unified_) return {};
        const fs::path file = unified(name) / "memory.pressure";
        return fs_.exists(file) ? file : fs::path();
    }

    fs::path events_file(const std::string& name) const override {
        return unified_ ? unified(name) / "cgroup.events" : fs::path();
    }

    Status remove(const std::string& name) override {
        Result<bool> busy = populated(name);
        if (!busy) return busy.error();
        if (*busy) return sys_error("remove", name, EBUSY);
        // rmdir, not cgroup_delete_cgroup(): libcgroup 2.0.2 moves live tasks to the parent and reports
        // success, and with CGFLAG_DELETE_EMPTY_ONLY reports success without deleting.
        for (const auto& h : v1_.all()) {
            if (Status s = remove_leaf(v1_.dir(h, ""), name); !s) return s;
        }
        if (unified_) return remove_leaf(*unified_ / top_, name);
        return {};
    }

    Result<int> clear_leftovers() override {
        Result<std::vector<pid_t>> pids = procs("");
        if (!pids) return pids.error();
        const int count = static_cast<int>(pids->size());
        if (count > 0) {
            if (Status killed = kill_all(""); !killed) return killed.error();
            if (Status empty = wait_empty(std::chrono::seconds(2)); !empty) return empty.error();
        }
        for (const auto& h : v1_.all()) {
            for (const auto& sub : fs_.subdirs(v1_.dir(h, ""))) {
                if (Status s = v2::remove_tree(fs_, v1_.dir(h, sub)); !s) return s.error();
            }
        }
        if (unified_) {
            for (const auto& sub : fs_.subdirs(*unified_ / top_)) {
                if (Status s = v2::remove_tree(fs_, unified(sub)); !s) return s.error();
            }
        }
        return count;
    }

    Status remove_top() override {
        for (const auto& h : v1_.all()) {
            if (Status s = v2::remove_tree(fs_, v1_.dir(h, "")); !s) return s;
        }
        if (unified_) return v2::remove_tree(fs_, *unified_ / top_);
        return {};
    }

private:
    // Group `name` in the unified hierarchy (which there is).
    fs::path unified(const std::string& name) const { return *unified_ / top_ / name; }

    Status wait_empty(std::chrono::milliseconds timeout) {
        if (unified_) return v2::wait_empty(fs_, *unified_ / top_, timeout);
        return v1_.wait_empty(timeout);
    }

    Status remove_leaf(const fs::path& top_dir, const std::string& name) {
        if (Status s = v2::remove_tree(fs_, top_dir / name); !s) return s;
        // The service's group ("api") goes with its last instance.
        const fs::path parent = (top_dir / name).parent_path();
        if (parent != top_dir && fs_.exists(parent) && fs_.subdirs(parent).empty()) return v2::remove_tree(fs_, parent);
        return {};
    }

    V1Hierarchies v1_;
    std::optional<fs::path> unified_;  // the daemon's own unified group; the top group goes below it
    std::string top_;
    CgroupFs& fs_;
};

bool is_cgroup2(const fs::path& path) {
    struct statfs st {};
    return ::statfs(path.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

}  // namespace

Result<std::unique_ptr<Driver>> make_hybrid_driver(const DriverOptions& options) {
    CgroupFs& fs = options.fs != nullptr ? *options.fs : real_cgroup_fs();
    std::optional<fs::path> unified;
    if (const auto own = own_cgroup_path(options.self_cgroup, ""); own && is_cgroup2(options.root / "unified")) {
        unified = options.root / "unified" / fs::path(*own).relative_path();
    }
    // The v1 freezer is needed only where the unified hierarchy cannot freeze.
    Result<std::vector<V1Hierarchy>> v1 = find_v1_hierarchies(options.self_cgroup, /*freezer=*/!unified);
    if (!v1) return v1.error();
    if (v1->empty() && !unified) {
        return sys_error("use cgroups at", options.root.string(), ENOENT);
    }
    auto driver = std::make_unique<HybridDriver>(std::move(*v1), std::move(unified), options.top, fs);
    if (Status ready = driver->prepare(); !ready) return ready.error();
    return std::unique_ptr<Driver>(std::move(driver));
}

}  // namespace corral::supervisor::cgroup
