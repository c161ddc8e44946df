// [services.NAME.cooling]: the keys of a cooling cycle. Files that load (with the defaults filled in), then
// files that are rejected with the exact messages a user sees.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"

using namespace std::chrono_literals;
using corral::config::Config;
using corral::policies::CoolingMode;
using corral::policies::CoolingParams;
using corral::policies::CoolingTrigger;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_text_ok;
using corral::test::messages;
using corral::test::service;

namespace {

// The cooling params of the one service of `extra`.
std::optional<CoolingParams> cooling_of(std::string_view extra) {
    const Config config = load_text_ok(service(extra));
    REQUIRE(config.services.size() == 1);
    return config.services[0].cooling;
}

CoolingParams params(CoolingTrigger trigger, double threshold) {
    CoolingParams expected;
    expected.trigger = trigger;
    expected.threshold = threshold;
    return expected;
}

constexpr double kMiB = 1 << 20;

}  // namespace

TEST_CASE("cooling with every key set loads into the spec") {
    const auto cooling = cooling_of(R"(
[services.api.cooling]
trigger = "write_rate"
above = "20MiB/s"
for = "5s"
work = "2m"
cool = "30s"
resume_below = "50%"
mode = "freeze"
)");
    CoolingParams expected = params(CoolingTrigger::write_rate, 20 * kMiB);
    expected.sustain = 5s;
    expected.work = 2min;
    expected.cool = 30s;
    expected.resume_below = 0.5;
    expected.mode = CoolingMode::freeze;
    CHECK(cooling == expected);
}

TEST_CASE("cooling defaults - for 10s - work and cool 60s - resume below 80% - hold") {
    const auto cooling = cooling_of("cooling = { trigger = \"write_rate\", above = \"20MB/s\" }\n");
    REQUIRE(cooling.has_value());
    CHECK(cooling->threshold == 20'000'000);
    CHECK(cooling->sustain == 10s);
    CHECK(cooling->work == 60s);
    CHECK(cooling->cool == 60s);
    CHECK(cooling->resume_below == 0.8);
    CHECK(cooling->mode == CoolingMode::hold);
    CHECK_FALSE(cooling->ipc_bytes);
    // An inline table and a [header] table are the same thing.
    CHECK(cooling_of("[services.api.cooling]\ntrigger = \"write_rate\"\nabove = \"20MB/s\"\n") == cooling);
}

TEST_CASE("without a cooling table a service has no cooling params") {
    CHECK(cooling_of("") == std::nullopt);
}

TEST_CASE("each trigger and the unit of its threshold") {
    CHECK(cooling_of("cooling = { trigger = \"ipc_rate\", above = \"2000/s\" }\n") ==
          params(CoolingTrigger::ipc_rate, 2000));
    CHECK(cooling_of("cooling = { trigger = \"ipc_rate\", above = \"30/m\" }\n") ==
          params(CoolingTrigger::ipc_rate, 0.5));
    CoolingParams ipc_bytes = params(CoolingTrigger::ipc_rate, 20 * kMiB);
    ipc_bytes.ipc_bytes = true;
    CHECK(cooling_of("cooling = { trigger = \"ipc_rate\", above = \"20MiB/s\" }\n") == ipc_bytes);
    CHECK(cooling_of("memory.max = \"1GiB\"\ncooling = { trigger = \"memory\", above = \"80%\" }\n") ==
          params(CoolingTrigger::memory, 0.8));
    CHECK(cooling_of("cooling = { trigger = \"pressure\", above = \"50%\" }\n") ==
          params(CoolingTrigger::pressure, 50));
    CoolingParams schedule = params(CoolingTrigger::schedule, 0);
    schedule.work = 1min;
    schedule.cool = 1min;
    CHECK(cooling_of("cooling = { trigger = \"schedule\" }\n") == schedule);
}

TEST_CASE("cooling values at the edges of their ranges") {
    const auto longest = cooling_of(
        "cooling = { trigger = \"write_rate\", above = \"1/s\", for = \"1ms\", work = \"24h\", cool = \"24h\", "
        "resume_below = \"100%\" }\n");
    REQUIRE(longest.has_value());
    CHECK(longest->threshold == 1);
    CHECK(longest->sustain == 1ms);
    CHECK(longest->work == 24h);
    CHECK(longest->cool == 24h);
    CHECK(longest->resume_below == 1.0);
    CHECK(cooling_of("memory.max = \"1GiB\"\ncooling = { trigger = \"memory\", above = \"99%\" }\n")->threshold ==
          0.99);
    CHECK(cooling_of("cooling = { trigger = \"pressure\", above = \"1%\" }\n")->threshold == 1);
}

TEST_CASE("cooling is a table and trigger is required") {
    CHECK(errors_of(service("cooling = \"on\"\n")) ==
          Messages{"t.toml:3:11: invalid value for services.api.cooling (expected a table such as "
                   "{ trigger = \"write_rate\", above = \"20MiB/s\" }, got \"on\")"});
    CHECK(errors_of(service("[services.api.cooling]\nwork = \"60s\"\n")) ==
          Messages{"t.toml:3:1: missing required key \"trigger\" in [services.api.cooling] (expected one of "
                   "\"write_rate\", \"ipc_rate\", \"memory\", \"pressure\", \"schedule\")"});
    CHECK(errors_of(service("cooling = { above = \"20MiB/s\" }\n")) ==
          Messages{"t.toml:3:11: missing required key \"trigger\" in [services.api.cooling] (expected one of "
                   "\"write_rate\", \"ipc_rate\", \"memory\", \"pressure\", \"schedule\")"});
}

TEST_CASE("trigger is one of five names") {
    CHECK(errors_of(service("cooling = { trigger = \"write-rate\", above = \"20MiB/s\" }\n")) ==
          Messages{"t.toml:3:23: invalid value for services.api.cooling.trigger (expected one of \"write_rate\", "
                   "\"ipc_rate\", \"memory\", \"pressure\", \"schedule\", got \"write-rate\"; did you mean "
                   "\"write_rate\"?)"});
    CHECK(errors_of(service("cooling = { trigger = 5, above = \"20MiB/s\" }\n")) ==
          Messages{"t.toml:3:23: invalid value for services.api.cooling.trigger (expected one of \"write_rate\", "
                   "\"ipc_rate\", \"memory\", \"pressure\", \"schedule\", got integer 5)"});
    // With a wrong trigger, above cannot be checked; the other keys still are.
    CHECK(errors_of(service("cooling = { trigger = \"bogus\", above = \"20MiB/s\", for = \"0s\" }\n")) ==
          Messages{"t.toml:3:23: invalid value for services.api.cooling.trigger (expected one of \"write_rate\", "
                   "\"ipc_rate\", \"memory\", \"pressure\", \"schedule\", got \"bogus\")",
                   "t.toml:3:57: invalid duration for services.api.cooling.for (expected at least 1ms and at most "
                   "24h, got \"0s\")"});
}

TEST_CASE("above is required with a threshold trigger") {
    CHECK(errors_of(service("cooling = { trigger = \"write_rate\" }\n")) ==
          Messages{"t.toml:3:11: missing required key \"above\" in [services.api.cooling] (expected a byte rate "
                   "such as \"20MiB/s\" for trigger \"write_rate\")"});
    CHECK(errors_of(service("[services.api.cooling]\ntrigger = \"ipc_rate\"\n")) ==
          Messages{"t.toml:3:1: missing required key \"above\" in [services.api.cooling] (expected a message rate "
                   "such as \"2000/s\" or a byte rate such as \"20MiB/s\" for trigger \"ipc_rate\")"});
}

TEST_CASE("a schedule has no above - for or resume_below") {
    CHECK(errors_of(service("cooling = { trigger = \"schedule\", above = \"20MiB/s\" }\n")) ==
          Messages{"t.toml:3:43: invalid value for services.api.cooling.above: trigger \"schedule\" cools on a "
                   "timer and has no threshold (expected no above key, got \"20MiB/s\")"});
    CHECK(errors_of(service("cooling = { trigger = \"schedule\", for = \"5s\", resume_below = \"50%\" }\n")) ==
          Messages{"t.toml:3:41: invalid value for services.api.cooling.for: trigger \"schedule\" cools on a timer "
                   "and has no threshold (expected no for key, got \"5s\")",
                   "t.toml:3:62: invalid value for services.api.cooling.resume_below: trigger \"schedule\" cools on "
                   "a timer and has no threshold (expected no resume_below key, got \"50%\")"});
}

TEST_CASE("write_rate above is a byte rate") {
    CHECK(errors_of(service("cooling = { trigger = \"write_rate\", above = \"20MiB\" }\n")) ==
          Messages{"t.toml:3:45: invalid rate for services.api.cooling.above (expected a whole number above 0 with a "
                   "unit B, kB, KB, MB, GB, TB, K, KiB, M, MiB, G, GiB, T or TiB, then \"/s\", such as \"20MiB/s\", "
                   "got \"20MiB\")"});
    CHECK(errors_of(service("cooling = { trigger = \"write_rate\", above = 20000000 }\n")) ==
          Messages{"t.toml:3:45: invalid rate for services.api.cooling.above (expected a string with a unit such as "
                   "\"20MiB/s\", got integer 20000000)"});
}

TEST_CASE("ipc_rate above is messages or bytes per time and needs an ipc channel") {
    CHECK(errors_of(service("cooling = { trigger = \"ipc_rate\", above = \"fast\" }\n")) ==
          Messages{"t.toml:3:43: invalid rate for services.api.cooling.above (expected messages such as \"2000/s\" "
                   "or \"30/m\", or bytes such as \"20MiB/s\", got \"fast\")"});
    CHECK(errors_of(service("ipc = \"off\"\ncooling = { trigger = \"ipc_rate\", above = \"2000/s\" }\n")) ==
          Messages{"t.toml:4:23: invalid value for services.api.cooling.trigger: \"ipc_rate\" measures the ipc "
                   "channel, and the service has ipc = \"off\" (expected ipc = \"json\" or \"advanced\" in "
                   "[services.api], or another trigger, got \"ipc_rate\")"});
}

TEST_CASE("memory above is a share of memory.max - which must be set") {
    CHECK(errors_of(service("cooling = { trigger = \"memory\", above = \"80%\" }\n")) ==
          Messages{"t.toml:3:23: invalid value for services.api.cooling.trigger: \"memory\" is a share of "
                   "memory.max, which is not set (expected memory.max in [services.api] such as "
                   "memory = { max = \"512MiB\" }, got \"memory\")"});
    CHECK(errors_of(service("memory.max = \"1GiB\"\ncooling = { trigger = \"memory\", above = \"450MiB\" }\n")) ==
          Messages{"t.toml:4:41: invalid value for services.api.cooling.above (expected a whole percentage of "
                   "memory.max from 1% to 99% such as \"80%\", got \"450MiB\")"});
    CHECK(errors_of(service("memory.max = \"1GiB\"\ncooling = { trigger = \"memory\", above = \"100%\" }\n")) ==
          Messages{"t.toml:4:41: invalid value for services.api.cooling.above (expected a whole percentage of "
                   "memory.max from 1% to 99% such as \"80%\", got \"100%\")"});
    // A wrong memory.max is reported once, as itself.
    CHECK(errors_of(service("memory.max = \"1MiB\"\ncooling = { trigger = \"memory\", above = \"80%\" }\n")) ==
          Messages{"t.toml:3:14: invalid size for services.api.memory.max (expected at least 4MiB and at most "
                   "4194304TiB, got \"1MiB\")"});
}

TEST_CASE("pressure above is a percentage of time") {
    CHECK(errors_of(service("cooling = { trigger = \"pressure\", above = \"50\" }\n")) ==
          Messages{"t.toml:3:43: invalid value for services.api.cooling.above (expected a whole percentage of time "
                   "from 1% to 99% such as \"50%\", got \"50\")"});
    CHECK(errors_of(service("cooling = { trigger = \"pressure\", above = \"0%\" }\n")) ==
          Messages{"t.toml:3:43: invalid value for services.api.cooling.above (expected a whole percentage of time "
                   "from 1% to 99% such as \"50%\", got \"0%\")"});
}

TEST_CASE("cooling durations are above zero and at most a day") {
    CHECK(errors_of(service("cooling = { trigger = \"write_rate\", above = \"20MiB/s\", for = \"0s\" }\n")) ==
          Messages{"t.toml:3:62: invalid duration for services.api.cooling.for (expected at least 1ms and at most "
                   "24h, got \"0s\")"});
    CHECK(errors_of(service("cooling = { trigger = \"write_rate\", above = \"20MiB/s\", work = \"0ms\", "
                            "cool = \"25h\" }\n")) ==
          Messages{"t.toml:3:63: invalid duration for services.api.cooling.work (expected at least 1ms and at most "
                   "24h, got \"0ms\")",
                   "t.toml:3:77: invalid duration for services.api.cooling.cool (expected at least 1ms and at most "
                   "24h, got \"25h\")"});
    CHECK(errors_of(service("cooling = { trigger = \"schedule\", cool = 60 }\n")) ==
          Messages{"t.toml:3:42: invalid duration for services.api.cooling.cool (expected a string with a unit such "
                   "as \"5s\" or \"250ms\", got integer 60)"});
}

TEST_CASE("resume_below is a percentage of above") {
    CHECK(errors_of(service("cooling = { trigger = \"write_rate\", above = \"20MiB/s\", resume_below = 0.8 }\n")) ==
          Messages{"t.toml:3:71: invalid value for services.api.cooling.resume_below (expected a whole percentage of "
                   "above from 1% to 100% such as \"80%\", got float 0.8)"});
    CHECK(errors_of(service("cooling = { trigger = \"write_rate\", above = \"20MiB/s\", resume_below = \"0%\" }\n")) ==
          Messages{"t.toml:3:71: invalid value for services.api.cooling.resume_below (expected a whole percentage of "
                   "above from 1% to 100% such as \"80%\", got \"0%\")"});
}

TEST_CASE("mode is hold or freeze") {
    CHECK(errors_of(service("cooling = { trigger = \"schedule\", mode = \"freez\" }\n")) ==
          Messages{"t.toml:3:42: invalid value for services.api.cooling.mode (expected one of \"hold\", \"freeze\", "
                   "got \"freez\"; did you mean \"freeze\"?)"});
    CHECK(errors_of(service("cooling = { trigger = \"schedule\", mode = true }\n")) ==
          Messages{"t.toml:3:42: invalid value for services.api.cooling.mode (expected one of \"hold\", \"freeze\", "
                   "got boolean true)"});
}

TEST_CASE("unknown keys in cooling - with a suggestion when one is close") {
    CHECK(errors_of(service("cooling = { tigger = \"schedule\" }\n")) ==
          Messages{"t.toml:3:11: missing required key \"trigger\" in [services.api.cooling] (expected one of "
                   "\"write_rate\", \"ipc_rate\", \"memory\", \"pressure\", \"schedule\")",
                   "t.toml:3:13: unknown key \"tigger\" in [services.api.cooling] (did you mean \"trigger\"?)"});
    CHECK(errors_of(service("[services.api.cooling]\ntrigger = \"schedule\"\nresume-below = \"50%\"\n")) ==
          Messages{"t.toml:5:1: unknown key \"resume-below\" in [services.api.cooling] (did you mean "
                   "\"resume_below\"?)"});
    CHECK(errors_of(service("cooling = { trigger = \"schedule\", cool_for = \"1m\" }\n")) ==
          Messages{"t.toml:3:35: unknown key \"cool_for\" in [services.api.cooling] (expected one of: trigger, above, "
                   "for, work, cool, resume_below, mode)"});
}

TEST_CASE("every cooling error in a file is reported - in file order") {
    const std::string_view text = R"([services.api]
command = ["node", "server.js"]

[services.api.cooling]
trigger = "memory"
above = "80"
work = "0s"
mode = "pause"

[services.worker]
command = ["node", "worker.js"]
cooling = { trigger = "schedule", above = "1MiB/s" }
)";
    CHECK(errors_of(text) ==
          Messages{"t.toml:5:11: invalid value for services.api.cooling.trigger: \"memory\" is a share of memory.max, "
                   "which is not set (expected memory.max in [services.api] such as memory = { max = \"512MiB\" }, "
                   "got \"memory\")",
                   "t.toml:6:9: invalid value for services.api.cooling.above (expected a whole percentage of "
                   "memory.max from 1% to 99% such as \"80%\", got \"80\")",
                   "t.toml:7:8: invalid duration for services.api.cooling.work (expected at least 1ms and at most "
                   "24h, got \"0s\")",
                   "t.toml:8:8: invalid value for services.api.cooling.mode (expected one of \"hold\", \"freeze\", got "
                   "\"pause\")",
                   "t.toml:12:43: invalid value for services.worker.cooling.above: trigger \"schedule\" cools on a "
                   "timer and has no threshold (expected no above key, got \"1MiB/s\")"});
}
