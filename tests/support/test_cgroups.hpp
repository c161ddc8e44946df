#pragma once
// Where a test's daemon puts its cgroups, and the unconditional cleanup of them: a test that fails halfway
// must not leave groups (or processes in them) on the machine.
#include <filesystem>
#include <string>
#include <vector>

namespace corral::test {

struct HierarchyDir {
    std::string hierarchy;        // "memory", "pids", "cpu", "freezer", "" (cgroup2)
    std::filesystem::path top;    // <mount>/<own path>/corral-<id>
};

// The top group a daemon with `state_dir` uses in every mounted hierarchy (existing or not).
std::vector<HierarchyDir> daemon_cgroup_tops(const std::filesystem::path& state_dir);
// The directory of hierarchy `hierarchy` ("memory", "" for cgroup2) for group `name` ("api/0"); "" if absent.
std::filesystem::path daemon_cgroup_dir(const std::filesystem::path& state_dir, const std::string& hierarchy,
                                        const std::string& name);
// True when this host has the hybrid layout (v1 memory at /sys/fs/cgroup/memory, cgroup2 at .../unified).
bool hybrid_cgroups();
// Kills every process in, and removes, the groups of a daemon with `state_dir`. Returns how many groups
// were found.
int remove_daemon_cgroups(const std::filesystem::path& state_dir);

std::string read_trimmed(const std::filesystem::path& file);

// The directory of this test process's own cgroup in `hierarchy` ("memory"; "" for cgroup2, at /sys/fs/cgroup
// or /sys/fs/cgroup/unified); "" when that hierarchy is not mounted as such here.
std::filesystem::path own_cgroup_dir(const std::string& hierarchy);
// Kills every process in `dir` and its sub-groups (cgroup.kill where there is one), then removes them.
void kill_and_remove_group(const std::filesystem::path& dir);

}  // namespace corral::test
