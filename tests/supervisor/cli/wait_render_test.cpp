// What the commands that wait print, from canned events and replies: progress lines, heartbeats, and the
// outcome of each instance.
#include <doctest/doctest.h>

#include <string>

#include "supervisor/cli/wait_views.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral::supervisor::cli;

namespace {

Json outcome(const char* instance, const char* result, const char* state, const Json& pid) {
    return {{"instance", instance}, {"result", result}, {"state", state}, {"pid", pid}, {"reason", ""}};
}

}  // namespace

TEST_CASE("wait render: a transition and a heartbeat") {
    const Style plain{false};
    CHECK(render_progress({{"time", "2026-11-25T12:01:02.000Z"}, {"instance", "web#0"}, {"from", "running"},
                           {"to", "stopping"}, {"reason", "stop requested"}},
                          plain) == "web#0: running -> stopping: stop requested\n");
    CHECK(render_progress({{"instance", "web#0"}, {"from", "starting"}, {"to", "running"}}, plain) ==
          "web#0: starting -> running\n");
    // Control characters from the daemon do not reach the terminal.
    CHECK(render_progress({{"instance", "web#0"}, {"from", "running"}, {"to", "backoff"}, {"reason", "a\x1b[2Jb"}},
                          plain)
              .find('\x1b') == std::string::npos);
    CHECK(render_progress({{"waiting", {{{"instance", "web#1"}, {"state", "starting"}},
                                        {{"instance", "web#2"}, {"state", "stopping"}}}},
                           {"elapsed_ms", 10000}},
                          plain) == "still waiting for web#1 (starting), web#2 (stopping), 10s so far\n");
    CHECK(render_progress({{"waiting", Json::array()}}, plain) == "still waiting for the daemon\n");
    const std::string painted = render_progress({{"instance", "web#0"}, {"from", "starting"}, {"to", "running"}},
                                                Style{true});
    CHECK(painted.find("\x1b[") != std::string::npos);
}

TEST_CASE("wait render: outcomes - done, already, signalled - and what is not printed") {
    const Json result = {{"instances", {"web#0", "web#1", "web#2", "web#3"}},
                         {"outcomes", {outcome("web#0", "done", "running", 4321), outcome("web#1", "already", "running", 12),
                                       outcome("web#2", "done", "stopped", nullptr),
                                       outcome("web#3", "failed", "backoff", nullptr),
                                       outcome("web#4", "pending", "starting", 9)}}};
    CHECK(render_outcomes("start", result) ==
          "web#0: running (pid 4321)\nweb#1 is already running (pid 12)\nweb#2: stopped\n");
    const Json signalled = {{"instances", {"web#0"}},
                            {"outcomes", {outcome("web#0", "signalled", "running", 77),
                                          outcome("web#1", "not_running", "stopped", nullptr)}}};
    CHECK(render_outcomes("signal", signalled, "SIGUSR2") == "web#0: sent SIGUSR2 to pid 77\n");
    // A daemon that did not say how each instance ended: the words of a command that did not wait.
    CHECK(render_outcomes("stop", {{"instances", {"web#0"}}}) == "stopping web#0\n");
}

TEST_CASE("wait render: reload shows its changes, then the outcomes") {
    const Json result = {{"changes", {{{"service", "web"}, {"action", "add"}}}},
                         {"outcomes", {outcome("web#0", "done", "running", 5)}}};
    CHECK(render_waited("reload", result) == "reloaded: 1 change\n  web  add\nweb#0: running (pid 5)\n");
    CHECK(render_waited("reload", {{"changes", Json::array()}}) == "reloaded: no changes\n");
    CHECK(render_waited("restart", {{"outcomes", {outcome("web#0", "done", "running", 5)}}}) ==
          "web#0: running (pid 5)\n");
}
