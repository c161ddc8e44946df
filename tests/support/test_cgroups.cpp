#include "tests/support/test_cgroups.hpp"

#include <linux/magic.h>
#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "supervisor/cgroup/driver.hpp"
#include "supervisor/cgroup/self_cgroup.hpp"
#include "tests/support/temp_dir.hpp"

namespace corral::test {
namespace fs = std::filesystem;
using supervisor::cgroup::own_cgroup_path;

namespace {

bool is_fs(const fs::path& path, long magic) {
    struct statfs st {};
    return ::statfs(path.c_str(), &st) == 0 && static_cast<long>(st.f_type) == magic;
}

void kill_and_remove(const fs::path& dir) {
    if (!fs::is_directory(dir)) return;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory()) kill_and_remove(entry.path());
    }
    for (int attempt = 0; attempt < 200; ++attempt) {
        std::istringstream procs(read_file(dir / "cgroup.procs"));
        pid_t pid = 0;
        bool any = false;
        while (procs >> pid) {
            ::kill(pid, SIGKILL);
            any = true;
        }
        if (!any && ::rmdir(dir.c_str()) == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

std::string read_trimmed(const fs::path& file) {
    std::string text = read_file(file);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

bool hybrid_cgroups() {
    return is_fs("/sys/fs/cgroup", TMPFS_MAGIC) && is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC) &&
           fs::exists("/sys/fs/cgroup/memory/cgroup.procs");
}

std::vector<HierarchyDir> daemon_cgroup_tops(const fs::path& state_dir) {
    const std::string top = supervisor::cgroup::top_group_name(state_dir);
    const std::string self = supervisor::cgroup::read_self_cgroup();
    std::vector<HierarchyDir> tops;
    if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) {
        if (const auto own = own_cgroup_path(self, "")) {
            tops.push_back({"", fs::path("/sys/fs/cgroup") / fs::path(*own).relative_path() / top});
        }
        return tops;
    }
    const bool unified = is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC);
    for (const char* hierarchy : {"memory", "pids", "cpu", "freezer"}) {
        // Like the daemon: the v1 freezer only where the unified hierarchy cannot freeze.
        if (unified && std::string_view(hierarchy) == "freezer") continue;
        const auto own = own_cgroup_path(self, hierarchy);
        if (own && fs::exists(fs::path("/sys/fs/cgroup") / hierarchy)) {
            tops.push_back({hierarchy, fs::path("/sys/fs/cgroup") / hierarchy / fs::path(*own).relative_path() / top});
        }
    }
    if (const auto own = own_cgroup_path(self, ""); own && is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) {
        tops.push_back({"", fs::path("/sys/fs/cgroup/unified") / fs::path(*own).relative_path() / top});
    }
    return tops;
}

fs::path daemon_cgroup_dir(const fs::path& state_dir, const std::string& hierarchy, const std::string& name) {
    for (const auto& top : daemon_cgroup_tops(state_dir)) {
        if (top.hierarchy == hierarchy) return top.top / name;
    }
    return {};
}

int remove_daemon_cgroups(const fs::path& state_dir) {
    int found = 0;
    // The cgroup2 group first: cgroup.kill there reaches every process at once.
    const auto tops = daemon_cgroup_tops(state_dir);
    for (auto it = tops.rbegin(); it != tops.rend(); ++it) {
        if (!fs::exists(it->top)) continue;
        ++found;
        if (fs::exists(it->top / "cgroup.kill")) std::ofstream(it->top / "cgroup.kill") << "1";
        kill_and_remove(it->top);
    }
    return found;
}

fs::path own_cgroup_dir(const std::string& hierarchy) {
    const std::string self = supervisor::cgroup::read_self_cgroup();
    const auto own = own_cgroup_path(self, hierarchy);
    if (!own) return {};
    fs::path mount;
    if (hierarchy.empty()) {
        if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) mount = "/sys/fs/cgroup";
        if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) mount = "/sys/fs/cgroup/unified";
    } else if (fs::exists(fs::path("/sys/fs/cgroup") / hierarchy / "cgroup.procs")) {
        mount = fs::path("/sys/fs/cgroup") / hierarchy;
    }
    return mount.empty() ? fs::path() : mount / fs::path(*own).relative_path();
}

void kill_and_remove_group(const fs::path& dir) {
    if (!fs::exists(dir)) return;
    if (fs::exists(dir / "cgroup.kill")) std::ofstream(dir / "cgroup.kill") << "1";
    kill_and_remove(dir);
}

}  // namespace corral::test
