// The memory watch keys of a service file: memory.restart_at, memory.snapshot_at and memory.thrashing,
// node_diagnostics, and [supervisor] postmortem. Files that load, then files that are rejected with the
// exact messages a user sees.
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
using corral::config::Config;
using corral::config::PostmortemSpec;
using corral::config::ServiceSpec;
using corral::policies::MemoryThreshold;
using corral::policies::MemoryWatch;
using corral::policies::ThrashParams;
using corral::test::TempDir;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_ok;
using corral::test::load_text_ok;
using corral::test::messages;
using corral::test::service;

namespace {

std::string supervisor(std::string_view line) { return "[supervisor]\n" + std::string(line) + "\n" + service(""); }

MemoryWatch watch_of(std::string_view extra) {
    const Config config = load_text_ok(service(extra));
    REQUIRE(config.services.size() == 1);
    return config.services[0].memory_watch;
}

MemoryThreshold bytes(std::uint64_t value) {
    MemoryThreshold threshold;
    threshold.bytes = value;
    return threshold;
}

MemoryThreshold percent(unsigned value) {
    MemoryThreshold threshold;
    threshold.percent_of_max = value;
    return threshold;
}

constexpr std::uint64_t kMiB = 1ull << 20;

}  // namespace

TEST_CASE("memory watch keys - node_diagnostics and postmortem with every value set load into the specs") {
    TempDir dir;
    const Config config = load_ok(dir.write("corral.toml", R"([supervisor]
postmortem = { keep = 5, max_size = "200MiB" }

[services.api]
command = ["node", "server.js"]
memory = { max = "512MiB", restart_at = "90%", snapshot_at = "450MiB", thrashing = { pressure = "30%", for = "30s" } }
node_diagnostics = false

[services.worker]
command = ["node", "worker.js"]
node_diagnostics = true
memory.max = "1GiB"
memory.restart_at = 900000000
memory.snapshot_at = "50%"
memory.thrashing = false

[services.batch]
command = ["node", "batch.js"]
memory = { restart_at = "300MiB", snapshot_at = 4194304, thrashing = true }

[services.web]
command = ["node", "web.js"]

[services.web.memory.thrashing]
for = "1h"
)"));
    CHECK(config.supervisor.postmortem.keep == 5u);
    CHECK(config.supervisor.postmortem.max_size == 200 * kMiB);
    REQUIRE(config.services.size() == 4);

    const ServiceSpec& api = config.services[0];
    CHECK(api.limits.memory.max == 512 * kMiB);
    REQUIRE(api.memory_watch.restart_at.has_value());
    CHECK(*api.memory_watch.restart_at == percent(90));
    CHECK_FALSE(api.memory_watch.restart_at->bytes.has_value());
    CHECK(api.memory_watch.restart_at->resolve(api.limits.memory.max) == 483'183'820u);  // 90% of 512MiB
    CHECK(api.memory_watch.snapshot_at == bytes(450 * kMiB));
    CHECK(api.memory_watch.thrashing.enabled);
    CHECK(api.memory_watch.thrashing.configured);
    CHECK(api.memory_watch.thrashing.full_percent == 30u);
    CHECK(api.memory_watch.thrashing.window == 30s);
    CHECK_FALSE(api.node_diagnostics);

    const ServiceSpec& worker = config.services[1];
    CHECK(worker.memory_watch.restart_at == bytes(900'000'000));
    CHECK(worker.memory_watch.snapshot_at == percent(50));
    CHECK_FALSE(worker.memory_watch.thrashing.enabled);
    CHECK(worker.memory_watch.thrashing.configured);
    CHECK(worker.memory_watch.thrashing.full_percent == 50u);
    CHECK(worker.memory_watch.thrashing.window == 10s);
    CHECK(worker.node_diagnostics);

    // Sizes need no memory.max.
    const ServiceSpec& batch = config.services[2];
    CHECK_FALSE(batch.limits.memory.max.has_value());
    CHECK(batch.memory_watch.restart_at == bytes(300 * kMiB));
    CHECK(batch.memory_watch.snapshot_at == bytes(4 * kMiB));
    ThrashParams defaults_asked_for;
    defaults_asked_for.configured = true;
    CHECK(batch.memory_watch.thrashing == defaults_asked_for);

    const ServiceSpec& web = config.services[3];
    CHECK(web.limits == corral::supervisor::cgroup::Limits{});
    CHECK_FALSE(web.memory_watch.restart_at.has_value());
    CHECK_FALSE(web.memory_watch.snapshot_at.has_value());
    CHECK(web.memory_watch.thrashing.enabled);
    CHECK(web.memory_watch.thrashing.configured);
    CHECK(web.memory_watch.thrashing.full_percent == 50u);
    CHECK(web.memory_watch.thrashing.window == 1h);
    CHECK(web.node_diagnostics);
}

TEST_CASE("without memory watch keys nothing is watched but thrashing - diagnostics are on - post-mortems kept") {
    const Config config = load_text_ok(service(""));
    CHECK(config.supervisor.postmortem == PostmortemSpec{});
    CHECK(config.supervisor.postmortem.keep == 20u);
    CHECK(config.supervisor.postmortem.max_size == 1024 * kMiB);
    CHECK(config.supervisor.postmortem.window == corral::policies::Duration{60'000});
    REQUIRE(config.services.size() == 1);
    const ServiceSpec& api = config.services[0];
    CHECK(api.memory_watch == MemoryWatch{});
    CHECK_FALSE(api.memory_watch.restart_at.has_value());
    CHECK_FALSE(api.memory_watch.snapshot_at.has_value());
    CHECK(api.memory_watch.thrashing.enabled);
    CHECK_FALSE(api.memory_watch.thrashing.configured);
    CHECK(api.memory_watch.thrashing.full_percent == 50u);
    CHECK(api.memory_watch.thrashing.window == 10s);
    CHECK(api.node_diagnostics);

    // Limits alone and empty tables change none of it.
    CHECK(watch_of("memory = { max = \"512MiB\", high = \"400MiB\" }\n") == MemoryWatch{});
    const Config empty = load_text_ok("[supervisor]\npostmortem = {}\n" + service("memory = {}\n"));
    CHECK(empty.supervisor.postmortem == PostmortemSpec{});
    CHECK(empty.services[0].memory_watch == MemoryWatch{});

    // An empty thrashing table asks for the defaults, as true does.
    ThrashParams defaults_asked_for;
    defaults_asked_for.configured = true;
    CHECK(watch_of("memory.thrashing = {}\n").thrashing == defaults_asked_for);
    CHECK(watch_of("memory.thrashing = true\n").thrashing == defaults_asked_for);
}

TEST_CASE("memory thresholds at the edges of their ranges") {
    CHECK(watch_of("memory = { max = \"512MiB\", restart_at = \"1%\", snapshot_at = \"99%\" }\n").restart_at ==
          percent(1));
    CHECK(watch_of("memory = { max = \"512MiB\", restart_at = \"1%\", snapshot_at = \"99%\" }\n").snapshot_at ==
          percent(99));
    CHECK(watch_of("memory = { max = \"512MiB\", restart_at = \"007%\" }\n").restart_at == percent(7));
    // Just below memory.max, and the smallest size.
    CHECK(watch_of("memory = { max = 536870912, restart_at = 536870911 }\n").restart_at == bytes(512 * kMiB - 1));
    CHECK(watch_of("memory = { max = \"5MiB\", snapshot_at = \"4MiB\" }\n").snapshot_at == bytes(4 * kMiB));
    CHECK(watch_of("memory.restart_at = \"4194304TiB\"\n").restart_at == bytes(1ull << 62));
    // memory.max may come after the threshold in the table.
    CHECK(watch_of("[services.api.memory]\nrestart_at = \"75%\"\nmax = \"1GiB\"\n").restart_at == percent(75));

    const ThrashParams low = watch_of("memory.thrashing = { pressure = \"1%\", for = \"2s\" }\n").thrashing;
    CHECK(low.full_percent == 1u);
    CHECK(low.window == 2s);
    const ThrashParams high = watch_of("memory.thrashing = { pressure = \"100%\", for = \"60m\" }\n").thrashing;
    CHECK(high.full_percent == 100u);
    CHECK(high.window == 1h);
    CHECK(watch_of("memory.thrashing.for = \"2.5s\"\n").thrashing.window == 2500ms);
}

TEST_CASE("postmortem keep from 1 to 10000 and max_size from 1MiB") {
    CHECK(load_text_ok(supervisor("postmortem = { keep = 1 }")).supervisor.postmortem.keep == 1u);
    CHECK(load_text_ok(supervisor("postmortem = { keep = 10000 }")).supervisor.postmortem.keep == 10000u);
    CHECK(load_text_ok(supervisor("postmortem.max_size = \"1MiB\"")).supervisor.postmortem.max_size == kMiB);
    CHECK(load_text_ok(supervisor("postmortem.window = \"0s\"")).supervisor.postmortem.window == corral::policies::Duration{0});
    CHECK(load_text_ok(supervisor("postmortem.window = \"5m\"")).supervisor.postmortem.window == corral::policies::Duration{300'000});
    CHECK(errors_of(supervisor("postmortem.window = \"25h\"")) ==
          Messages{"t.toml:2:21: invalid duration for supervisor.postmortem.window (expected at most 24h, got \"25h\")"});
    CHECK(load_text_ok(supervisor("postmortem.max_size = 1048576")).supervisor.postmortem.max_size == kMiB);
    CHECK(load_text_ok(supervisor("postmortem.max_size = \"20GB\"")).supervisor.postmortem.max_size ==
          20'000'000'000u);
    const Config header = load_text_ok("[supervisor.postmortem]\nkeep = 3\nmax_size = \"64MiB\"\n" + service(""));
    CHECK(header.supervisor.postmortem.keep == 3u);
    CHECK(header.supervisor.postmortem.max_size == 64 * kMiB);
}

TEST_CASE("a percentage threshold needs memory.max in the same service") {
    CHECK(errors_of(service("memory = { restart_at = \"90%\" }\n")) ==
          Messages{"t.toml:3:25: invalid value for services.api.memory.restart_at: a percentage is a share of "
                   "memory.max, which is not set (expected a size such as \"450MiB\", got \"90%\")"});
    // memory.high is no substitute.
    CHECK(errors_of(service("memory = { high = \"400MiB\", snapshot_at = \"50%\" }\n")) ==
          Messages{"t.toml:3:43: invalid value for services.api.memory.snapshot_at: a percentage is a share of "
                   "memory.max, which is not set (expected a size such as \"450MiB\", got \"50%\")"});
    // Nor is the memory.max of another service.
    CHECK(errors_of(service("memory.max = \"1GiB\"\n[services.worker]\ncommand = [\"node\", \"w.js\"]\n"
                            "memory.restart_at = \"90%\"\n")) ==
          Messages{"t.toml:6:21: invalid value for services.worker.memory.restart_at: a percentage is a share of "
                   "memory.max, which is not set (expected a size such as \"450MiB\", got \"90%\")"});
}

TEST_CASE("a size threshold must stay below memory.max") {
    CHECK(errors_of(service("memory = { max = \"512MiB\", restart_at = \"600MiB\" }\n")) ==
          Messages{"t.toml:3:41: invalid value for services.api.memory.restart_at (expected less than the "
                   "memory.max of 512MiB, got \"600MiB\")"});
    CHECK(errors_of(service("memory = { max = \"512MiB\", snapshot_at = 536870912 }\n")) ==
          Messages{"t.toml:3:42: invalid value for services.api.memory.snapshot_at (expected less than the "
                   "memory.max of 512MiB, got integer 536870912)"});
    CHECK(errors_of(service("[services.api.memory]\nrestart_at = \"1GB\"\nmax = 500000000\n")) ==
          Messages{"t.toml:4:14: invalid value for services.api.memory.restart_at (expected less than the "
                   "memory.max of 500MB, got \"1GB\")"});
    // Only the broken one is reported when max itself is wrong.
    CHECK(errors_of(service("memory = { max = \"1MiB\", restart_at = \"600MiB\", snapshot_at = \"90%\" }\n")) ==
          Messages{"t.toml:3:18: invalid size for services.api.memory.max (expected at least 4MiB and at most "
                   "4194304TiB, got \"1MiB\")"});
}

TEST_CASE("a percentage threshold is a whole number from 1% to 99%") {
    const std::string max = "memory.max = \"512MiB\"\n";
    CHECK(errors_of(service(max + "memory.snapshot_at = \"0%\"\n")) ==
          Messages{"t.toml:4:22: invalid value for services.api.memory.snapshot_at (expected a whole percentage of "
                   "memory.max from 1% to 99%, got \"0%\")"});
    CHECK(errors_of(service(max + "memory.snapshot_at = \"100%\"\n")) ==
          Messages{"t.toml:4:22: invalid value for services.api.memory.snapshot_at (expected a whole percentage of "
                   "memory.max from 1% to 99%, got \"100%\")"});
    CHECK(errors_of(service(max + "memory.restart_at = \"12.5%\"\n")) ==
          Messages{"t.toml:4:21: invalid value for services.api.memory.restart_at (expected a whole percentage of "
                   "memory.max from 1% to 99%, got \"12.5%\")"});
    CHECK(errors_of(service(max + "memory.restart_at = \"%\"\n")) ==
          Messages{"t.toml:4:21: invalid value for services.api.memory.restart_at (expected a whole percentage of "
                   "memory.max from 1% to 99%, got \"%\")"});
}

TEST_CASE("a size threshold is written like memory.max and is at least 4MiB") {
    // A string without a unit is a number of bytes, as for memory.max: "90" is 90 bytes, not 90%.
    CHECK(errors_of(service("memory = { max = \"512MiB\", snapshot_at = \"90\" }\n")) ==
          Messages{"t.toml:3:42: invalid value for services.api.memory.snapshot_at (expected a size of at least "
                   "4MiB and at most 4194304TiB, or a percentage of memory.max such as \"90%\", got \"90\")"});
    CHECK(errors_of(service("memory.restart_at = -1\n")) ==
          Messages{"t.toml:3:21: invalid value for services.api.memory.restart_at (expected a size of at least "
                   "4MiB and at most 4194304TiB, or a percentage of memory.max such as \"90%\", got integer -1)"});
    CHECK(errors_of(service("memory.restart_at = \"4194305TiB\"\n")) ==
          Messages{"t.toml:3:21: invalid value for services.api.memory.restart_at (expected a size of at least "
                   "4MiB and at most 4194304TiB, or a percentage of memory.max such as \"90%\", got \"4194305TiB\")"});
    CHECK(errors_of(service("memory.restart_at = \"450mb\"\n")) ==
          Messages{"t.toml:3:21: invalid value for services.api.memory.restart_at (expected a whole number with a "
                   "unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"450MiB\", or a "
                   "percentage of memory.max such as \"90%\", got \"450mb\")"});
    CHECK(errors_of(service("memory = { max = \"512MiB\", restart_at = 0.9 }\n")) ==
          Messages{"t.toml:3:41: invalid value for services.api.memory.restart_at (expected a size such as "
                   "\"450MiB\" or a percentage of memory.max such as \"90%\", got float 0.9)"});
    CHECK(errors_of(service("memory.snapshot_at = true\n")) ==
          Messages{"t.toml:3:22: invalid value for services.api.memory.snapshot_at (expected a size such as "
                   "\"450MiB\" or a percentage of memory.max such as \"90%\", got boolean true)"});
}

TEST_CASE("thrashing is true - false or a table of pressure and for") {
    CHECK(errors_of(service("memory.thrashing = \"yes\"\n")) ==
          Messages{"t.toml:3:20: invalid value for services.api.memory.thrashing (expected true, false or a table "
                   "such as { pressure = \"50%\", for = \"10s\" }, got \"yes\")"});
    CHECK(errors_of(service("memory.thrashing = 1\n")) ==
          Messages{"t.toml:3:20: invalid value for services.api.memory.thrashing (expected true, false or a table "
                   "such as { pressure = \"50%\", for = \"10s\" }, got integer 1)"});
    CHECK(errors_of(service("memory.thrashing = { pressure = \"0%\" }\n")) ==
          Messages{"t.toml:3:33: invalid value for services.api.memory.thrashing.pressure (expected a percentage "
                   "of time from 1% to 100% such as \"50%\", got \"0%\")"});
    CHECK(errors_of(service("memory.thrashing = { pressure = \"101%\" }\n")) ==
          Messages{"t.toml:3:33: invalid value for services.api.memory.thrashing.pressure (expected a percentage "
                   "of time from 1% to 100% such as \"50%\", got \"101%\")"});
    CHECK(errors_of(service("memory.thrashing.pressure = 50\n")) ==
          Messages{"t.toml:3:29: invalid value for services.api.memory.thrashing.pressure (expected a percentage "
                   "of time from 1% to 100% such as \"50%\", got integer 50)"});
    CHECK(errors_of(service("memory.thrashing = { for = \"1s\" }\n")) ==
          Messages{"t.toml:3:28: invalid duration for services.api.memory.thrashing.for (expected at least 2s and "
                   "at most 1h, got \"1s\")"});
    CHECK(errors_of(service("[services.api.memory.thrashing]\nfor = \"61m\"\n")) ==
          Messages{"t.toml:4:7: invalid duration for services.api.memory.thrashing.for (expected at least 2s and "
                   "at most 1h, got \"61m\")"});
    CHECK(errors_of(service("memory.thrashing = { for = 10 }\n")) ==
          Messages{"t.toml:3:28: invalid duration for services.api.memory.thrashing.for (expected a string with a "
                   "unit such as \"5s\" or \"250ms\", got integer 10)"});
}

TEST_CASE("unknown keys in thrashing - with a suggestion when one is close") {
    CHECK(errors_of(service("memory.thrashing = { presure = \"50%\" }\n")) ==
          Messages{"t.toml:3:22: unknown key \"presure\" in [services.api.memory.thrashing] (did you mean "
                   "\"pressure\"?)"});
    CHECK(errors_of(service("memory.thrashing = { window = \"10s\" }\n")) ==
          Messages{"t.toml:3:22: unknown key \"window\" in [services.api.memory.thrashing] (expected one of: "
                   "pressure, for)"});
    CHECK(errors_of(service("memory.thrashing = { enabled = false }\n")) ==
          Messages{"t.toml:3:22: unknown key \"enabled\" in [services.api.memory.thrashing] (expected one of: "
                   "pressure, for)"});
}

TEST_CASE("node_diagnostics is a boolean") {
    CHECK(errors_of(service("node_diagnostics = \"yes\"\n")) ==
          Messages{"t.toml:3:20: invalid value for services.api.node_diagnostics (expected true or false, "
                   "got \"yes\")"});
    CHECK(errors_of(service("node_diagnostics = 0\n")) ==
          Messages{"t.toml:3:20: invalid value for services.api.node_diagnostics (expected true or false, "
                   "got integer 0)"});
    CHECK(errors_of(service("node_diagnostic = false\n")) ==
          Messages{"t.toml:3:1: unknown key \"node_diagnostic\" in [services.api] (did you mean "
                   "\"node_diagnostics\"?)"});
}

TEST_CASE("postmortem errors") {
    CHECK(errors_of(supervisor("postmortem = { keep = 0 }")) ==
          Messages{"t.toml:2:23: invalid value for supervisor.postmortem.keep (expected an integer from 1 to 10000, "
                   "got integer 0)"});
    CHECK(errors_of(supervisor("postmortem.keep = 10001")) ==
          Messages{"t.toml:2:19: invalid value for supervisor.postmortem.keep (expected an integer from 1 to 10000, "
                   "got integer 10001)"});
    CHECK(errors_of(supervisor("postmortem = { max_size = \"10kB\" }")) ==
          Messages{"t.toml:2:27: invalid size for supervisor.postmortem.max_size (expected at least 1MiB and at "
                   "most 4194304TiB, got \"10kB\")"});
    CHECK(errors_of(supervisor("postmortem = { max_size = \"1gib\" }")) ==
          Messages{"t.toml:2:27: invalid size for supervisor.postmortem.max_size (expected a whole number with a "
                   "unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"10MiB\", got \"1gib\")"});
    CHECK(errors_of(supervisor("postmortem = { maxsize = \"1GiB\" }")) ==
          Messages{"t.toml:2:16: unknown key \"maxsize\" in [supervisor.postmortem] (did you mean \"max_size\"?)"});
    CHECK(errors_of(supervisor("postmortem = { dir = \"pm\" }")) ==
          Messages{"t.toml:2:16: unknown key \"dir\" in [supervisor.postmortem] (expected one of: keep, max_size, window)"});
    CHECK(errors_of(supervisor("postmortem = 20")) ==
          Messages{"t.toml:2:14: invalid value for supervisor.postmortem (expected a table such as { keep = 20, "
                   "max_size = \"1GiB\" }, got integer 20)"});
    CHECK(errors_of(supervisor("postmortems = { keep = 5 }")) ==
          Messages{"t.toml:2:1: unknown key \"postmortems\" in [supervisor] (did you mean \"postmortem\"?)"});
}

TEST_CASE("every memory watch error in a file is reported - in file order") {
    const std::string_view text = R"([supervisor]
postmortem = { keep = 0, max_size = "10kB", count = 3 }

[services.api]
command = ["node", "server.js"]
memory = { restart_at = "90%", snapshot_at = "0.5GiB", thrashing = { presure = "50%", for = "1s" } }
node_diagnostics = "yes"

[services.worker]
command = ["node", "worker.js"]
memory = { max = "512MiB", restart_at = "512MiB", snapshot_at = "100%", thrashing = "on" }
)";
    CHECK(errors_of(text) ==
          Messages{
              "t.toml:2:23: invalid value for supervisor.postmortem.keep (expected an integer from 1 to 10000, got "
              "integer 0)",
              "t.toml:2:37: invalid size for supervisor.postmortem.max_size (expected at least 1MiB and at most "
              "4194304TiB, got \"10kB\")",
              "t.toml:2:45: unknown key \"count\" in [supervisor.postmortem] (expected one of: keep, max_size, window)",
              "t.toml:6:25: invalid value for services.api.memory.restart_at: a percentage is a share of "
              "memory.max, which is not set (expected a size such as \"450MiB\", got \"90%\")",
              "t.toml:6:46: invalid value for services.api.memory.snapshot_at (expected a whole number with a unit "
              "B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, such as \"450MiB\", or a percentage of "
              "memory.max such as \"90%\", got \"0.5GiB\")",
              "t.toml:6:70: unknown key \"presure\" in [services.api.memory.thrashing] (did you mean \"pressure\"?)",
              "t.toml:6:93: invalid duration for services.api.memory.thrashing.for (expected at least 2s and at "
              "most 1h, got \"1s\")",
              "t.toml:7:20: invalid value for services.api.node_diagnostics (expected true or false, got \"yes\")",
              "t.toml:11:41: invalid value for services.worker.memory.restart_at (expected less than the memory.max "
              "of 512MiB, got \"512MiB\")",
              "t.toml:11:65: invalid value for services.worker.memory.snapshot_at (expected a whole percentage of "
              "memory.max from 1% to 99%, got \"100%\")",
              "t.toml:11:85: invalid value for services.worker.memory.thrashing (expected true, false or a table "
              "such as { pressure = \"50%\", for = \"10s\" }, got \"on\")",
          });
}
