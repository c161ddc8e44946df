#include "supervisor/instance/exec_shim.hpp"

#include <doctest/doctest.h>

using corral::supervisor::exec_shim_argv;

TEST_CASE("exec shim command line") {
    CHECK(exec_shim_argv("/bin/corral", 42, {}, {"node", "a.js"}) ==
          std::vector<std::string>{"/bin/corral", "__exec", "--report-fd", "4", "--parent", "42", "--", "node", "a.js"});
    const std::vector<corral::supervisor::cgroup::JoinTarget> groups = {{"memory", "/sys/fs/cgroup/memory/c/a/0"},
                                                                        {"", "/sys/fs/cgroup/unified/c/a/0"}};
    CHECK(exec_shim_argv("/bin/corral", 42, groups, {"node"}) ==
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
