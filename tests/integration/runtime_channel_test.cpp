// The Node agent's runtime reports on real channels: they travel beside an app's own messages, reach no
// app listener ('message' nor, through the broker, 'internalMessage'), a broken one changes nothing, and
// an app's own Node children stay quiet.
#include <doctest/doctest.h>

#include "tests/integration/runtime_daemon.hpp"
#include "tests/support/text.hpp"

using namespace corral::test;
using nlohmann::json;

namespace {

// A sender and a receiver joined by a route, both with the agent reporting every 100 ms; `sender_env` is
// added to the sender's environment.
std::string route_file(const std::string& sender_env) {
    return subst(R"TOML(
[supervisor]
sample_interval = "100ms"

[services.sender]
command = ["node", "${peer}"]
env = { ROLE = "sender", COUNT = "2000", BATCH = "20", DELAY_MS = "300", RECORD_FILE = "out"${extra} }

[services.receiver]
command = ["node", "${peer}"]
env = { ROLE = "receiver", RECORD_FILE = "in" }

[[routes]]
from = "sender"
to = "receiver"
)TOML", {{"peer", fixture("runtime_peer.js")}, {"extra", sender_env}});
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++count;
    return count;
}

}  // namespace

TEST_CASE("runtime: 2000 app messages arrive exactly while both ends report - no NODE_CORRAL message reaches a listener") {
    RuntimeDaemon daemon(route_file(""));
    REQUIRE(wait_until([&] { return daemon.counted("in", "app") == 2000; }, 60s));
    // The sender spent about 2 s sending: the reports of both went out all along (20 at least, each).
    REQUIRE(wait_until([&] {
        return daemon.counted("out", "reports_sent") >= 20 && daemon.counted("in", "reports_sent") >= 20;
    }, 30s));
    CHECK(daemon.state("sender#0").contains("runtime"));
    CHECK(daemon.state("receiver#0").contains("runtime"));
    SocketClient client(daemon.socket);
    const json status = client.request("status");
    for (const auto& route : status["result"]["routes"]) {
        CHECK(route["destinations"][0]["delivered"] == 2000);
    }
    REQUIRE(daemon.corral->stop() == 0);

    // The final counts, written when the daemon stopped them.
    const json in = daemon.record("in");
    const json out = daemon.record("out");
    CAPTURE(in.dump());
    CAPTURE(out.dump());
    CHECK(in["app"] == 2000);
    CHECK(in["other"] == 0);
    CHECK(in["corral_on_message"] == 0);
    CHECK(in["corral_internal"] == 0);
    CHECK(out["sent"] == 2000);
    CHECK(out["app"] == 0);
    CHECK(out["other"] == 0);
    CHECK(out["corral_on_message"] == 0);
    CHECK(out["corral_internal"] == 0);
}

TEST_CASE("runtime: a malformed report from an app is logged once and changes nothing else") {
    RuntimeDaemon daemon(route_file(", MALFORMED = \"5\""));
    REQUIRE(wait_until([&] { return daemon.counted("in", "app") == 2000; }, 60s));
    REQUIRE(wait_until([&] { return daemon.counted("out", "reports_sent") >= 10; }, 30s));
    // The agent's own reports still count.
    REQUIRE(wait_until([&] { return daemon.state("sender#0").contains("runtime"); }, 10s));
    const json sender = daemon.state("sender#0");
    CHECK(sender["state"] == "running");
    CHECK(sender["restarts"] == 0);
    CHECK(sender["runtime"]["heap_used"].get<double>() > 0);
    REQUIRE(daemon.corral->stop() == 0);

    const std::string log = daemon.corral->stderr_text();
    CAPTURE(log);
    CHECK(occurrences(log, "ignored a malformed runtime report") == 1);
    CHECK(occurrences(log, "sender#0: ignored a malformed runtime report of the Node agent (\"heap_used\" is not a "
                           "non-negative number)") == 1);
    const json in = daemon.record("in");
    CAPTURE(in.dump());
    CHECK(in["app"] == 2000);
    CHECK(in["other"] == 0);
    CHECK(in["corral_on_message"] == 0);
    CHECK(in["corral_internal"] == 0);
}

TEST_CASE("runtime: a Node child forked by the app has the agent but does not report to the app") {
    RuntimeDaemon daemon(subst(R"TOML(
[supervisor]
sample_interval = "100ms"

[services.forker]
command = ["node", "${app}"]
env = { FORK = "1", RECORD_FILE = "out" }
)TOML", {{"app", fixture("runtime_app.js")}}));
    // The child lives 2 s, then disconnects and exits.
    REQUIRE(wait_until([&] { return daemon.counted("out", "child_exit") == 0; }, 60s));
    const json out = daemon.record("out");
    CAPTURE(out.dump());
    REQUIRE(out["child"].is_object());
    CHECK(out["child"]["report_ms"].is_null());
    CHECK(out["child"]["node_options"].get<std::string>().find("--require") != std::string::npos);
    CHECK(out["child_corral_message"] == 0);
    CHECK(out["child_corral_internal"] == 0);
    // The app itself reported all along.
    CHECK(wait_until([&] { return daemon.counted("out", "reports_sent") >= 10; }, 30s));
    CHECK(daemon.state("forker#0").contains("runtime"));
    CHECK(daemon.corral->stop() == 0);
}
