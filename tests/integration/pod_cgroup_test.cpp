// corral in a pod: PID 1 of its PID namespace, at the root "0::/" of its own cgroup namespace, with a cgroup2
// filesystem at /sys/fs/cgroup (as containerd and CRI-O set a container up under cgroup v2). corral then picks
// the v2 driver and makes its groups below that root, which is not the host's root cgroup.
//
// What this host can show (see README "Containers and Kubernetes"): on a hybrid host the cgroup2 hierarchy
// offers no memory, pids or cpu controller (they are bound to v1 hierarchies), so the v2 driver finds nothing
// to enable and leaves the daemon in the pod's root group; where the pod's group offers them (pure v2) it
// moves into the leaf "supervisor" first. The test checks whichever the host offers.
#include <doctest/doctest.h>

#include <csignal>

#include "supervisor/cgroup/driver.hpp"
#include "tests/integration/namespaced_corral.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cgroups.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The cgroup2 path of `pid` as this test process sees it ("/..." below the mount).
std::string unified_path(pid_t pid) {
    const std::string text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
    const auto at = text.find("0::");
    return at == std::string::npos ? std::string() : text.substr(at + 3, text.find('\n', at) - at - 3);
}

bool offers_wanted_controllers(const fs::path& group) {
    const std::string offered = read_file(group / "cgroup.controllers");
    return has(offered, "memory") || has(offered, "pids") || has(offered, "cpu");
}

std::string service_file(const std::string& extra = {}) {
    return subst(R"(
[services.web]
command = ["node", "${fixture}"]
${extra}
)", {{"fixture", fixture("pid1_app.js")}, {"extra", extra}});
}

}  // namespace

TEST_CASE("pod: corral at the root of a cgroup namespace uses the v2 driver below that root and cleans up") {
    if (own_cgroup_dir("").empty()) {
        MESSAGE("skipped: no cgroup2 hierarchy on this host");
        return;
    }
    TempDir dir;
    dir.write("corral.toml", service_file());
    NamespacedCorral corral(dir.path(), {"up", "--attach"}, /*pod=*/true);
    const std::string top = corral::supervisor::cgroup::top_group_name(dir / ".corral");
    // The instance sees its group from inside the namespace, below "/".
    REQUIRE(wait_until([&] { return has(corral.out(), "web#0 | cgroup 0::/"); }, 20s));
    CHECK(has(corral.out(), "web#0 | cgroup 0::/" + top + "/web/0\n"));
    CHECK(has(corral.err(), "cgroup v2 at /sys/fs/cgroup/" + top));
    // From the host: every group is below the pod's, and the instance is in its own.
    CHECK(!read_trimmed(corral.group() / top / "web/0/cgroup.procs").empty());
    const std::string pod_path = "/" + corral.group().filename().string();
    const std::string daemon_path = unified_path(corral.corral_pid());
    if (offers_wanted_controllers(corral.group())) {
        // Controllers to enable: the daemon left the pod's root group for a leaf first (no internal processes).
        CHECK(daemon_path.ends_with(pod_path + "/supervisor"));
    } else {
        MESSAGE("the pod's cgroup offers none of memory, pids, cpu here (cgroup.controllers: \""
                << read_trimmed(corral.group() / "cgroup.controllers") << "\"): the daemon stays in its root group");
        CHECK(daemon_path.ends_with(pod_path));
    }
    ::kill(corral.corral_pid(), SIGTERM);
    CHECK(corral.wait(30s) == 0);
    CHECK(has(corral.out(), "web#0 | stopping on SIGTERM\n"));
    CHECK(!fs::exists(corral.group() / top));  // corral removed its groups before it exited
}

TEST_CASE("pod: a limit whose controller the pod does not delegate is refused with cgroups = required - naming it") {
    if (own_cgroup_dir("").empty()) {
        MESSAGE("skipped: no cgroup2 hierarchy on this host");
        return;
    }
    TempDir dir;
    dir.write("corral.toml", "[supervisor]\ncgroups = \"required\"\n" + service_file("memory = { max = \"256M\" }"));
    NamespacedCorral corral(dir.path(), {"up", "--attach"}, /*pod=*/true);
    if (offers_wanted_controllers(corral.group())) {
        MESSAGE("the pod's cgroup offers controllers here: nothing to refuse");
        return;
    }
    CHECK(corral.wait(30s) == 1);
    CHECK(has(corral.err(), "memory.max: the memory controller is not delegated to /sys/fs/cgroup"));
    CHECK(!has(corral.out(), "started"));
}
