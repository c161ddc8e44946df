// The cgroup keys of a service file: [supervisor] cgroups, cgroup_root and sample_interval, and the
// memory, pids and cpu limits of a service. Files that load, then files that are rejected with the exact
// messages a user sees.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using corral::config::CgroupMode;
using corral::config::Config;
using corral::supervisor::cgroup::Limits;
using corral::test::TempDir;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_ok;
using corral::test::load_text_ok;
using corral::test::messages;
using corral::test::service;

namespace {

std::string supervisor(std::string_view line) { return "[supervisor]\n" + std::string(line) + "\n" + service(""); }

constexpr std::uint64_t kMiB = 1ull << 20;

}  // namespace

TEST_CASE("cgroup keys with every value set load into the specs") {
    TempDir dir;
    const Config config = load_ok(dir.write("conf/corral.toml", R"([supervisor]
cgroups = "required"
cgroup_root = "cg/root/"
sample_interval = "250ms"

[services.api]
command = ["node", "server.js"]
memory = { max = "512MiB", high = "400MiB", swap_max = "0" }
pids = { max = 512 }
cpu = { weight = 100, max = "150%" }

[services.worker]
command = ["node", "worker.js"]
pids.max = 4194304

[services.worker.memory]
max = 536870912
high = 536870912
swap_max = 0

[services.worker.cpu]
weight = 10000
max = "100000%"

[services.batch]
command = ["node", "batch.js"]
memory.high = "4MiB"
memory.swap_max = "1GB"
cpu = { weight = 1, max = "1%" }
)"));
    CHECK(config.supervisor.cgroups == CgroupMode::required);
    CHECK(config.supervisor.cgroup_root == dir.path() / "conf" / "cg" / "root");
    CHECK(config.supervisor.sample_interval == 250ms);
    REQUIRE(config.services.size() == 3);

    const Limits& api = config.services[0].limits;
    CHECK(api.memory.max == 512 * kMiB);
    CHECK(api.memory.high == 400 * kMiB);
    CHECK(api.memory.swap_max == 0u);
    CHECK(api.pids.max == 512u);
    CHECK(api.cpu.weight == 100u);
    CHECK(api.cpu.max_percent == 150u);

    const Limits& worker = config.services[1].limits;
    CHECK(worker.memory.max == 512 * kMiB);
    CHECK(worker.memory.high == 512 * kMiB);
    CHECK(worker.memory.swap_max == 0u);
    CHECK(worker.pids.max == 4194304u);
    CHECK(worker.cpu.weight == 10000u);
    CHECK(worker.cpu.max_percent == 100000u);

    Limits batch;
    batch.memory.high = 4 * kMiB;
    batch.memory.swap_max = 1'000'000'000;
    batch.cpu.weight = 1;
    batch.cpu.max_percent = 1;
    CHECK(config.services[2].limits == batch);
}

TEST_CASE("without cgroup keys cgroups are automatic and nothing is limited") {
    TempDir dir;
    const Config config = load_ok(dir.write("corral.toml", "[services.api]\ncommand = [\"node\", \"server.js\"]\n"));
    CHECK(config.supervisor.cgroups == CgroupMode::automatic);
    CHECK(config.supervisor.cgroup_root == "/sys/fs/cgroup");
    CHECK(config.supervisor.sample_interval == 1000ms);
    REQUIRE(config.services.size() == 1);
    const Limits& limits = config.services[0].limits;
    CHECK(limits == Limits{});
    CHECK_FALSE(limits.memory.max.has_value());
    CHECK_FALSE(limits.memory.high.has_value());
    CHECK_FALSE(limits.memory.swap_max.has_value());
    CHECK_FALSE(limits.pids.max.has_value());
    CHECK_FALSE(limits.cpu.weight.has_value());
    CHECK_FALSE(limits.cpu.max_percent.has_value());

    // Empty tables set nothing either.
    const Config empty = load_ok(dir.write("empty.toml", service("memory = {}\npids = {}\n[services.api.cpu]\n")));
    CHECK(empty.services[0].limits == Limits{});
}

TEST_CASE("each cgroups mode - and cgroup_root absolute or relative to the file's directory") {
    CHECK(load_text_ok(supervisor("cgroups = \"auto\"")).supervisor.cgroups == CgroupMode::automatic);
    CHECK(load_text_ok(supervisor("cgroups = \"required\"")).supervisor.cgroups == CgroupMode::required);
    CHECK(load_text_ok(supervisor("cgroups = \"off\"")).supervisor.cgroups == CgroupMode::off);

    CHECK(load_text_ok(supervisor("cgroup_root = \"/mnt/cgroup2//\"")).supervisor.cgroup_root == "/mnt/cgroup2");
    CHECK(load_text_ok(supervisor("cgroup_root = \"cgroup\"")).supervisor.cgroup_root == "/srv/app/cgroup");
    CHECK(load_text_ok(supervisor("cgroup_root = \"../fake/./cgroup/\"")).supervisor.cgroup_root ==
          "/srv/fake/cgroup");
    // Existence is the daemon's business: a root that is not there still loads.
    TempDir dir;
    const Config config = load_ok(dir.write("corral.toml", supervisor("cgroup_root = \"no-such-dir\"")));
    CHECK(config.supervisor.cgroup_root == dir.path() / "no-such-dir");
    CHECK_FALSE(fs::exists(config.supervisor.cgroup_root));
}

TEST_CASE("sample_interval from 100ms to 1h") {
    CHECK(load_text_ok(supervisor("sample_interval = \"100ms\"")).supervisor.sample_interval == 100ms);
    CHECK(load_text_ok(supervisor("sample_interval = \"1h\"")).supervisor.sample_interval == 1h);
    CHECK(load_text_ok(supervisor("sample_interval = \"2.5s\"")).supervisor.sample_interval == 2500ms);
}

TEST_CASE("cgroups takes one of three words") {
    CHECK(errors_of(supervisor("cgroups = \"requird\"")) ==
          Messages{"t.toml:2:11: invalid value for supervisor.cgroups (expected one of \"auto\", \"required\", "
                   "\"off\", got \"requird\"; did you mean \"required\"?)"});
    CHECK(errors_of(supervisor("cgroups = \"Off\"")) ==
          Messages{"t.toml:2:11: invalid value for supervisor.cgroups (expected one of \"auto\", \"required\", "
                   "\"off\", got \"Off\"; did you mean \"off\"?)"});
    CHECK(errors_of(supervisor("cgroups = \"v2\"")) ==
          Messages{"t.toml:2:11: invalid value for supervisor.cgroups (expected one of \"auto\", \"required\", "
                   "\"off\", got \"v2\")"});
    CHECK(errors_of(supervisor("cgroups = false")) ==
          Messages{"t.toml:2:11: invalid value for supervisor.cgroups (expected one of \"auto\", \"required\", "
                   "\"off\", got boolean false)"});
}

TEST_CASE("cgroup_root and sample_interval errors") {
    CHECK(errors_of(supervisor("cgroup_root = \"\"")) ==
          Messages{"t.toml:2:15: invalid value for supervisor.cgroup_root (expected a directory path such as "
                   "\"/sys/fs/cgroup\", got \"\")"});
    CHECK(errors_of(supervisor("cgroup_root = [\"/sys/fs/cgroup\"]")) ==
          Messages{"t.toml:2:15: invalid value for supervisor.cgroup_root (expected a directory path such as "
                   "\"/sys/fs/cgroup\", got array)"});
    CHECK(errors_of(supervisor("sample_interval = \"50ms\"")) ==
          Messages{"t.toml:2:19: invalid duration for supervisor.sample_interval (expected at least 100ms and at "
                   "most 1h, got \"50ms\")"});
    CHECK(errors_of(supervisor("sample_interval = \"61m\"")) ==
          Messages{"t.toml:2:19: invalid duration for supervisor.sample_interval (expected at least 100ms and at "
                   "most 1h, got \"61m\")"});
    CHECK(errors_of(supervisor("sample_interval = 1")) ==
          Messages{"t.toml:2:19: invalid duration for supervisor.sample_interval (expected a string with a unit "
                   "such as \"5s\" or \"250ms\", got integer 1)"});
    CHECK(errors_of(supervisor("cgroup = \"off\"")) ==
          Messages{"t.toml:2:1: unknown key \"cgroup\" in [supervisor] (did you mean \"cgroups\"?)"});
    CHECK(errors_of(supervisor("interval = \"1s\"")) ==
          Messages{"t.toml:2:1: unknown key \"interval\" in [supervisor] (expected one of: state_dir, cgroups, "
                   "cgroup_root, sample_interval, postmortem, max_message, drain_timeout, metrics)"});
}

TEST_CASE("supervisor.drain_timeout is a duration up to an hour, 5s by default") {
    CHECK(load_text_ok(supervisor("drain_timeout = \"250ms\"")).supervisor.drain_timeout == std::chrono::milliseconds(250));
    CHECK(load_text_ok(supervisor("drain_timeout = \"0s\"")).supervisor.drain_timeout == std::chrono::milliseconds(0));
    CHECK(load_text_ok(service("")).supervisor.drain_timeout == std::chrono::milliseconds(5'000));
    const auto errors = errors_of(supervisor("drain_timeout = 5"));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("t.toml:2:17: invalid duration for supervisor.drain_timeout") == 0);
    CHECK(errors_of(supervisor("drain_timeout = \"2h\"")).size() == 1);
}

TEST_CASE("memory max and high are sizes from 4MiB") {
    CHECK(errors_of(service("memory.max = \"1MiB\"\n")) ==
          Messages{"t.toml:3:14: invalid size for services.api.memory.max (expected at least 4MiB and at most "
                   "4194304TiB, got \"1MiB\")"});
    CHECK(errors_of(service("memory.high = 4194303\n")) ==
          Messages{"t.toml:3:15: invalid size for services.api.memory.high (expected at least 4MiB and at most "
                   "4194304TiB, got integer 4194303)"});
    CHECK(errors_of(service("memory.max = \"4194305TiB\"\n")) ==
          Messages{"t.toml:3:14: invalid size for services.api.memory.max (expected at least 4MiB and at most "
                   "4194304TiB, got \"4194305TiB\")"});
    CHECK(errors_of(service("memory.max = 5.0e8\n")) ==
          Messages{"t.toml:3:14: invalid size for services.api.memory.max (expected a number of bytes or a string "
                   "such as \"10MiB\", got float 500000000.0)"});
    CHECK(errors_of(service("memory.max = \"512mb\"\n")) ==
          Messages{"t.toml:3:14: invalid size for services.api.memory.max (expected a whole number with a unit "
                   "B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\", got \"512mb\")"});
    // The same value as an integer is fine.
    CHECK(load_text_ok(service("memory.max = 500000000\n")).services[0].limits.memory.max == 500'000'000u);
}

TEST_CASE("memory high may not exceed memory max") {
    CHECK(errors_of(service("memory = { max = \"512MiB\", high = \"600MiB\" }\n")) ==
          Messages{"t.toml:3:35: invalid size for services.api.memory.high (expected at most the memory.max of "
                   "512MiB, got \"600MiB\")"});
    CHECK(errors_of(service("[services.api.memory]\nhigh = \"1GB\"\nmax = 500000000\n")) ==
          Messages{"t.toml:4:8: invalid size for services.api.memory.high (expected at most the memory.max of "
                   "500MB, got \"1GB\")"});
    // Only the broken one is reported when max itself is wrong.
    CHECK(errors_of(service("memory = { max = \"1MiB\", high = \"600MiB\" }\n")) ==
          Messages{"t.toml:3:18: invalid size for services.api.memory.max (expected at least 4MiB and at most "
                   "4194304TiB, got \"1MiB\")"});
}

TEST_CASE("memory swap_max is a size from 0") {
    CHECK(errors_of(service("memory.swap_max = -1\n")) ==
          Messages{"t.toml:3:19: invalid size for services.api.memory.swap_max (expected at least 0 bytes and at "
                   "most 4194304TiB, got integer -1)"});
    CHECK(errors_of(service("memory.swap_max = \"none\"\n")) ==
          Messages{"t.toml:3:19: invalid size for services.api.memory.swap_max (expected a whole number with a "
                   "unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\", got \"none\")"});
    CHECK(errors_of(service("memory.swap_max = false\n")) ==
          Messages{"t.toml:3:19: invalid size for services.api.memory.swap_max (expected a number of bytes or a "
                   "string such as \"10MiB\", got boolean false)"});
}

TEST_CASE("memory tables accept only the limits and the memory watch keys") {
    CHECK(errors_of(service("memory = { swapmax = \"0\" }\n")) ==
          Messages{"t.toml:3:12: unknown key \"swapmax\" in [services.api.memory] (did you mean \"swap_max\"?)"});
    CHECK(errors_of(service("memory.mx = \"1GiB\"\n")) ==
          Messages{"t.toml:3:8: unknown key \"mx\" in [services.api.memory] (did you mean \"max\"?)"});
    CHECK(errors_of(service("[services.api.memory]\nmaximum = \"1GiB\"\n")) ==
          Messages{"t.toml:4:1: unknown key \"maximum\" in [services.api.memory] (expected one of: max, high, "
                   "swap_max, restart_at, snapshot_at, thrashing)"});
    CHECK(errors_of(service("memory = { snapshotat = \"300MiB\", restart-at = \"450MiB\" }\n")) ==
          Messages{"t.toml:3:12: unknown key \"snapshotat\" in [services.api.memory] (did you mean \"snapshot_at\"?)",
                   "t.toml:3:35: unknown key \"restart-at\" in [services.api.memory] (did you mean \"restart_at\"?)"});
    CHECK(errors_of(service("memory = \"512MiB\"\n")) ==
          Messages{"t.toml:3:10: invalid value for services.api.memory (expected a table such as { max = \"512MiB\", "
                   "high = \"400MiB\", swap_max = \"0\" }, got \"512MiB\")"});
}

TEST_CASE("pids max is an integer from 1 to 4194304") {
    CHECK(errors_of(service("pids.max = 0\n")) ==
          Messages{"t.toml:3:12: invalid value for services.api.pids.max (expected an integer from 1 to 4194304, "
                   "got integer 0)"});
    CHECK(errors_of(service("pids.max = 4194305\n")) ==
          Messages{"t.toml:3:12: invalid value for services.api.pids.max (expected an integer from 1 to 4194304, "
                   "got integer 4194305)"});
    CHECK(errors_of(service("pids = { max = \"max\" }\n")) ==
          Messages{"t.toml:3:16: invalid value for services.api.pids.max (expected an integer from 1 to 4194304, "
                   "got \"max\")"});
    CHECK(errors_of(service("pids = 512\n")) ==
          Messages{"t.toml:3:8: invalid value for services.api.pids (expected a table such as { max = 512 }, "
                   "got integer 512)"});
    CHECK(errors_of(service("pids.limit = 512\n")) ==
          Messages{"t.toml:3:6: unknown key \"limit\" in [services.api.pids] (expected one of: max)"});
}

TEST_CASE("cpu weight from 1 to 10000") {
    CHECK(errors_of(service("cpu.weight = 0\n")) ==
          Messages{"t.toml:3:14: invalid value for services.api.cpu.weight (expected an integer from 1 to 10000, "
                   "got integer 0)"});
    CHECK(errors_of(service("cpu.weight = 20000\n")) ==
          Messages{"t.toml:3:14: invalid value for services.api.cpu.weight (expected an integer from 1 to 10000, "
                   "got integer 20000)"});
    CHECK(errors_of(service("cpu = { wieght = 5 }\n")) ==
          Messages{"t.toml:3:9: unknown key \"wieght\" in [services.api.cpu] (did you mean \"weight\"?)"});
    CHECK(errors_of(service("cpu = 2\n")) ==
          Messages{"t.toml:3:7: invalid value for services.api.cpu (expected a table such as { weight = 100, "
                   "max = \"150%\" }, got integer 2)"});
}

TEST_CASE("cpu max is a percentage of one CPU from 1% to 100000%") {
    CHECK(errors_of(service("cpu.max = \"150\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cpu.max (expected a percentage of one CPU such as "
                   "\"50%\" or \"200%\", got \"150\")"});
    CHECK(errors_of(service("cpu.max = 150\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cpu.max (expected a percentage of one CPU such as "
                   "\"50%\" or \"200%\", got integer 150)"});
    CHECK(errors_of(service("cpu.max = 1.5\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cpu.max (expected a percentage of one CPU such as "
                   "\"50%\" or \"200%\", got float 1.5)"});
    CHECK(errors_of(service("cpu.max = \"12.5%\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cpu.max (expected a percentage of one CPU such as "
                   "\"50%\" or \"200%\", got \"12.5%\")"});
    CHECK(errors_of(service("cpu.max = \"0%\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cpu.max (expected a percentage of one CPU from 1% "
                   "to 100000%, got \"0%\")"});
    CHECK(errors_of(service("cpu.max = \"100001%\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cpu.max (expected a percentage of one CPU from 1% "
                   "to 100000%, got \"100001%\")"});
    CHECK(errors_of(service("cpu.max = \"99999999999999999999%\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cpu.max (expected a percentage of one CPU such as "
                   "\"50%\" or \"200%\", got \"99999999999999999999%\")"});
}

TEST_CASE("every limit error in a file is reported - in file order") {
    const std::string_view text = R"([supervisor]
cgroups = "requird"
sample_interval = "10ms"

[services.api]
command = ["node", "server.js"]
memory = { max = "2MiB", high = "600MiB", maximum = "1GiB" }
pids = { max = 0 }
cpu = { weight = 0, max = "150" }
)";
    CHECK(errors_of(text) ==
          Messages{
              "t.toml:2:11: invalid value for supervisor.cgroups (expected one of \"auto\", \"required\", \"off\", "
              "got \"requird\"; did you mean \"required\"?)",
              "t.toml:3:19: invalid duration for supervisor.sample_interval (expected at least 100ms and at most 1h, "
              "got \"10ms\")",
              "t.toml:7:18: invalid size for services.api.memory.max (expected at least 4MiB and at most "
              "4194304TiB, got \"2MiB\")",
              "t.toml:7:43: unknown key \"maximum\" in [services.api.memory] (expected one of: max, high, swap_max, "
              "restart_at, snapshot_at, thrashing)",
              "t.toml:8:16: invalid value for services.api.pids.max (expected an integer from 1 to 4194304, "
              "got integer 0)",
              "t.toml:9:18: invalid value for services.api.cpu.weight (expected an integer from 1 to 10000, "
              "got integer 0)",
              "t.toml:9:27: invalid value for services.api.cpu.max (expected a percentage of one CPU such as "
              "\"50%\" or \"200%\", got \"150\")",
          });
}
