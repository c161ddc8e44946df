#include "supervisor/instance/exec_shim.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using corral::supervisor::exec_shim_argv;

TEST_CASE("exec shim command line") {
    CHECK(exec_shim_argv({"/bin/corral-exec", true}, 42, {}, {"node", "a.js"}) ==
          std::vector<std::string>{"/bin/corral-exec", "--report-fd", "4", "--parent", "42", "--", "node", "a.js"});
    CHECK(exec_shim_argv({"/bin/corral", false}, 42, {}, {"node", "a.js"}) ==
          std::vector<std::string>{"/bin/corral", "__exec", "--report-fd", "4", "--parent", "42", "--", "node", "a.js"});
    const std::vector<corral::supervisor::cgroup::JoinTarget> groups = {{"memory", "/sys/fs/cgroup/memory/c/a/0"},
                                                                        {"", "/sys/fs/cgroup/unified/c/a/0"}};
    CHECK(exec_shim_argv({"/bin/corral", false}, 42, groups, {"node"}) ==
          std::vector<std::string>{"/bin/corral", "__exec", "--report-fd", "4", "--parent", "42", "--cgroup",
                                   "memory:/sys/fs/cgroup/memory/c/a/0", "--cgroup", ":/sys/fs/cgroup/unified/c/a/0",
                                   "--", "node"});
}

TEST_CASE("exec shim reports") {
    using corral::supervisor::ExecStage;
    using corral::supervisor::parse_exec_report;
    CHECK(parse_exec_report("").error == 0);
    CHECK(parse_exec_report("2 exec\n").error == 2);
    CHECK(parse_exec_report("2 exec\n").stage == ExecStage::exec);
    CHECK(parse_exec_report("13 cgroup\n").error == 13);
    CHECK(parse_exec_report("13 cgroup\n").stage == ExecStage::cgroup);
    CHECK(parse_exec_report("garbage").error > 0);
}

TEST_CASE("exec shim: corral-exec is found beside corral, else corral runs as the shim") {
    using corral::supervisor::locate_exec_shim;
    const std::filesystem::path built = CORRAL_EXEC_BINARY;
    const auto beside = locate_exec_shim((built.parent_path() / "corral").string());
    CHECK(beside.standalone);
    CHECK(beside.exe == built.string());
    const auto fallback = locate_exec_shim("/nonexistent/bin/corral");
    CHECK_FALSE(fallback.standalone);
    CHECK(fallback.exe == "/nonexistent/bin/corral");
}

TEST_CASE("exec shim: /proc/self/cgroup says whether the shim landed in each cgroup") {
    using corral::exec::in_cgroup;
    const char* hybrid = "12:memory:/process_api/7/c/api/0\n11:cpu,cpuacct:/c/api/0\n1:name=systemd:/x\n0::/c/api/0\n";
    CHECK(in_cgroup(hybrid, "memory", 6, "/sys/fs/cgroup/memory/process_api/7/c/api/0"));
    CHECK_FALSE(in_cgroup(hybrid, "memory", 6, "/sys/fs/cgroup/memory/process_api/7/c/api/1"));
    CHECK(in_cgroup(hybrid, "cpu", 3, "/sys/fs/cgroup/cpu,cpuacct/c/api/0"));
    CHECK(in_cgroup(hybrid, "cpuacct", 7, "/sys/fs/cgroup/cpu,cpuacct/c/api/0"));
    CHECK(in_cgroup(hybrid, "", 0, "/sys/fs/cgroup/unified/c/api/0"));
    CHECK_FALSE(in_cgroup(hybrid, "pids", 4, "/sys/fs/cgroup/pids/c/api/0"));  // no such line
    CHECK_FALSE(in_cgroup("0::/\n", "", 0, "/sys/fs/cgroup/"));                  // the root is never an instance's
    CHECK(in_cgroup("0::/a/b", "", 0, "/sys/fs/cgroup/a/b"));                      // no final newline
}
