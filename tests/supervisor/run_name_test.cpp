#include <doctest/doctest.h>

#include "supervisor/exec_shim.hpp"
#include "supervisor/up_command.hpp"

using corral::supervisor::exec_shim_argv;
using corral::supervisor::name_from_command;

TEST_CASE("corral run: the service name comes from what the command runs") {
    CHECK(name_from_command({"npx", "my-app", "--port", "3000"}) == "my-app");
    CHECK(name_from_command({"node", "server.js"}) == "server");
    CHECK(name_from_command({"node", "--max-old-space-size=64", "/srv/api/index.mjs"}) == "index");
    CHECK(name_from_command({"/usr/bin/python3", "-m", "http.server"}) == "python3");
    CHECK(name_from_command({"node"}) == "node");
    CHECK(name_from_command({"npx", "@scope/pkg"}) == "pkg");
    CHECK(name_from_command({"./my app!"}) == "my-app-");
    CHECK(name_from_command({"node", ".hidden.js"}) == "hidden");
    CHECK(name_from_command({"--", "-"}) == "app");
}

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
