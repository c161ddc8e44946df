// A service's `liveness` key: off by default, event_loop and startup; then files that are rejected with the
// exact messages a user sees (a service whose agent cannot report, an event_loop the reports cannot keep up with).
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "supervisor/config/load_config.hpp"
#include "tests/support/config_loading.hpp"

using namespace std::chrono_literals;
using corral::config::Config;
using corral::policies::LivenessParams;

using corral::test::Messages;
using corral::test::errors_of;
using corral::test::load_text_ok;
using corral::test::service;

namespace {

std::optional<LivenessParams> liveness_of(std::string_view extra, std::string_view supervisor = "") {
    const Config config = load_text_ok(std::string(supervisor) + service(extra));
    REQUIRE(config.services.size() == 1);
    return config.services[0].liveness;
}

}  // namespace

TEST_CASE("liveness: off by default - event_loop alone keeps the default startup") {
    CHECK(liveness_of("") == std::nullopt);
    CHECK(liveness_of("liveness = { event_loop = \"10s\" }\n") == LivenessParams{10s, 30s});
    CHECK(liveness_of("[services.api.liveness]\nevent_loop = \"3s\"\nstartup = \"1m\"\n") == LivenessParams{3s, 60s});
    // Twice a short sample interval is enough.
    CHECK(liveness_of("liveness = { event_loop = \"400ms\" }\n", "[supervisor]\nsample_interval = \"200ms\"\n") ==
          LivenessParams{400ms, 30s});
}

TEST_CASE("liveness: wrong values are reported with their place") {
    CHECK(errors_of(service("liveness = \"10s\"\n")) ==
          Messages{"t.toml:3:12: invalid value for services.api.liveness (expected a table such as "
                   "{ event_loop = \"10s\" }, got \"10s\")"});
    CHECK(errors_of(service("liveness = { startup = \"10s\" }\n")) ==
          Messages{"t.toml:3:12: missing required key \"event_loop\" in [services.api.liveness] (expected a table "
                   "such as { event_loop = \"10s\" })"});
    CHECK(errors_of(service("liveness = { event_loop = \"100ms\" }\n")) ==
          Messages{"t.toml:3:27: invalid duration for services.api.liveness.event_loop (expected at least 200ms and "
                   "at most 1h, got \"100ms\")"});
    CHECK(errors_of(service("liveness = { event_loop = \"10s\", stuck = \"1s\" }\n")) ==
          Messages{"t.toml:3:34: unknown key \"stuck\" in [services.api.liveness] (expected one of: event_loop, "
                   "startup)"});
}

TEST_CASE("liveness: refused where the agent cannot report, or reports too seldom for event_loop") {
    CHECK(errors_of(service("node_agent = false\nliveness = { event_loop = \"10s\" }\n")) ==
          Messages{"t.toml:4:12: invalid value for services.api.liveness: liveness needs the Node agent's runtime "
                   "reports, and node_agent = false turns off the Node agent that reports on the event loop (expected "
                   "node_agent = true and ipc = \"json\", or no liveness)"});
    CHECK(errors_of(service("ipc = \"advanced\"\nliveness = { event_loop = \"10s\" }\n")) ==
          Messages{"t.toml:4:12: invalid value for services.api.liveness: liveness needs the Node agent's runtime "
                   "reports, and the Node agent reports on the json IPC channel, and this service has ipc = "
                   "\"advanced\" (expected node_agent = true and ipc = \"json\", or no liveness)"});
    CHECK(errors_of("[supervisor]\nsample_interval = \"5s\"\n" + service("liveness = { event_loop = \"8s\" }\n")) ==
          Messages{"t.toml:5:27: invalid duration for services.api.liveness.event_loop (expected at least twice "
                   "[supervisor] sample_interval, 10s: the Node agent reports once per sample interval, got \"8s\")"});
}
