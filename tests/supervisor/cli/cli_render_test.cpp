// The text views of the client commands, from canned daemon replies: status, logs, events, start/stop/
// restart/signal, reload and error replies. Without colors unless a case says otherwise.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "supervisor/cli/reply_views.hpp"
#include "supervisor/cli/sparkline.hpp"
#include "supervisor/cli/status_view.hpp"
#include "supervisor/cli/stream_views.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral::supervisor::cli;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

WallClock::time_point at(const char* iso) { return *parse_iso_utc(iso); }

// Six instances: running with a limit, in backoff after a crash, near its limit, without a limit, stopped
// after a signal without a post-mortem, failed; every field as instance_status() writes it.
const char* kStatus = R"json({
  "daemon": {"pid": 4242, "version": "0.1.0", "uptime_ms": 7830000, "config": "/srv/app/corral.toml",
             "state_dir": "/srv/app/.corral", "cgroups": "cgroup v2 at /sys/fs/cgroup/corral-1a2b"},
  "instances": [
    {"service": "api", "index": 0, "state": "running", "pid": 48213, "restarts": 3, "uptime_ms": 647000,
     "cgroup": "corral-1a2b/api/0",
     "memory": {"current": 126353408, "peak": 130000000, "max": 536870912, "anon": 1, "file": 2, "dirty": 0,
                "writeback": 0, "refault_anon": 0, "refault_file": 0, "oom_kills": 1, "limit_hits": 4},
     "last_exit": {"reason": "oom-kill", "code": null, "signal": "SIGKILL", "at": "2026-11-25T13:09:13.000Z",
                   "postmortem": "api-0/20261125T130913.000Z-oom-kill"},
     "exits": {"oom-kill": 3}, "cooling": null},
    {"service": "api", "index": 1, "state": "backoff", "pid": null, "restarts": 7, "uptime_ms": null,
     "cgroup": "corral-1a2b/api/1", "memory": null,
     "last_exit": {"reason": "exit-code", "code": 1, "signal": null, "at": "2026-11-25T13:19:58.500Z",
                   "postmortem": "api-1/20261125T131958.500Z-exit-code"},
     "exits": {"exit-code": 7}, "cooling": null},
    {"service": "worker", "index": 0, "state": "running", "pid": 48300, "restarts": 0, "uptime_ms": 7830000,
     "cgroup": "corral-1a2b/worker/0",
     "memory": {"current": 483183820, "peak": 490000000, "max": 536870912, "anon": 1, "file": 2, "dirty": 0,
                "writeback": 0, "refault_anon": 0, "refault_file": 0, "oom_kills": 0, "limit_hits": 0},
     "last_exit": null, "exits": {}, "cooling": null},
    {"service": "cache", "index": 0, "state": "starting", "pid": 48400, "restarts": 0, "uptime_ms": 250,
     "cgroup": "corral-1a2b/cache/0",
     "memory": {"current": 52428800, "peak": 52428800, "max": null, "anon": 1, "file": 2, "dirty": 0,
                "writeback": 0, "refault_anon": 0, "refault_file": 0, "oom_kills": 0, "limit_hits": 0},
     "last_exit": null, "exits": {}, "cooling": null},
    {"service": "cron", "index": 0, "state": "stopped", "pid": null, "restarts": 0, "uptime_ms": null,
     "cgroup": null, "memory": null,
     "last_exit": {"reason": "signal", "code": null, "signal": "SIGSEGV", "at": "2026-11-24T13:20:00.000Z",
                   "postmortem": null},
     "exits": {"signal": 1}, "cooling": null},
    {"service": "jobs", "index": 0, "state": "failed", "pid": null, "restarts": 5, "uptime_ms": null,
     "cgroup": null, "memory": null,
     "last_exit": {"reason": "exit-code", "code": 2, "signal": null, "at": "2026-11-25T13:15:00.000Z",
                   "postmortem": "jobs-0/20261125T131500.000Z-exit-code"},
     "exits": {"exit-code": 6}, "cooling": null}
  ]
})json";

}  // namespace

TEST_CASE("cli render: the status table") {
    const auto status = Json::parse(kStatus);
    const std::string text = render_status(status, StatusView{Style{false}, at("2026-11-25T13:20:00.000Z")});
    const std::vector<std::string> expected = {
        "corral 0.1.0, pid 4242, up 2h10m, config /srv/app/corral.toml",
        "",
        "INSTANCE  PID    STATE     UPTIME  RESTARTS  MEMORY                        LAST EXIT",
        "api#0     48213  running   10m47s  3         120.5MiB/512.0MiB ▕█▉      ▏  oom-kill, 10m ago [1]",
        "api#1     -      backoff   -       7         -                             exit-code 1, 1s ago [2]",
        "worker#0  48300  running   2h10m   0         460.8MiB/512.0MiB ▕███████▎▏  -",
        "cache#0   48400  starting  250ms   0         50.0MiB                       -",
        "cron#0    -      stopped   -       0         -                             signal SIGSEGV, 1d ago",
        "jobs#0    -      failed    -       5         -                             exit-code 2, 5m ago [3]",
        "",
        "[1] corral postmortem --show api-0/20261125T130913.000Z-oom-kill",
        "[2] corral postmortem --show api-1/20261125T131958.500Z-exit-code",
        "[3] corral postmortem --show jobs-0/20261125T131500.000Z-exit-code",
    };
    CHECK(lines_of(text) == expected);
    for (const auto& line : lines_of(text)) CHECK(corral::supervisor::cli::display_width(line) <= 100);
}

TEST_CASE("cli render: status without services or daemon details") {
    const auto empty = Json::parse(R"({"daemon":{"pid":7,"version":"0.1.0","uptime_ms":1500,"config":"",
        "state_dir":"/tmp/x/.corral","cgroups":null},"instances":[]})");
    CHECK(render_status(empty, StatusView{}) == "corral 0.1.0, pid 7, up 1.5s, state /tmp/x/.corral, no cgroups\n\nno services\n");
    CHECK(render_status(Json::object(), StatusView{}) == "corral\n\nno services\n");
}

TEST_CASE("cli render: status colors the states and the bars on a terminal") {
    const auto status = Json::parse(kStatus);
    const std::string text = render_status(status, StatusView{Style{true}, at("2026-11-25T13:20:00.000Z")});
    CHECK(text.find("\x1b[32mrunning\x1b[0m") != std::string::npos);
    CHECK(text.find("\x1b[33mbackoff\x1b[0m") != std::string::npos);
    CHECK(text.find("\x1b[31mfailed\x1b[0m") != std::string::npos);
    CHECK(text.find("\x1b[2mstopped\x1b[0m") != std::string::npos);
    CHECK(text.find("\x1b[36m▕█▉      ▏\x1b[0m") != std::string::npos);   // 24%
    CHECK(text.find("\x1b[33m▕███████▎▏\x1b[0m") != std::string::npos);  // 90%
    CHECK(text.find("\x1b[31moom-kill\x1b[0m, 10m ago \x1b[2m[1]\x1b[0m") != std::string::npos);
    CHECK(text.find("\x1b[1mINSTANCE\x1b[0m") != std::string::npos);
}

TEST_CASE("cli render: memory cells and bars") {
    CHECK(bar(0.0) == "▕        ▏");
    CHECK(bar(0.001) == "▕▏       ▏");
    CHECK(bar(0.5) == "▕████    ▏");
    CHECK(bar(1.0) == "▕████████▏");
    CHECK(bar(7.0) == "▕████████▏");
    CHECK(bar(0.3, 4) == "▕█▎  ▏");
    CHECK(bar(0.3) == "▕██▍     ▏");
    CHECK(memory_cell(Json(nullptr)) == "-");
    CHECK(memory_cell(Json{{"current", 1536}, {"max", nullptr}}) == "1.5KiB");
    CHECK(memory_cell(Json{{"current", 1 << 20}, {"max", 2 << 20}}, 14) == "1.0MiB/2.0MiB  ▕████    ▏");
}

TEST_CASE("cli render: last exits and times") {
    const auto now = at("2026-11-25T13:20:00.000Z");
    CHECK(last_exit_cell(Json(nullptr), now) == "-");
    CHECK(last_exit_cell(Json{{"reason", "memory-limit"}, {"code", 0}, {"at", "2026-11-25T10:20:00Z"}}, now) ==
          "memory-limit, 3h ago");
    CHECK(last_exit_cell(Json{{"reason", "exit-code"}, {"code", 0}, {"at", "later"}}, now) == "exit-code 0");
    CHECK(format_ago(std::chrono::milliseconds(-5)) == "0s ago");
    CHECK(format_ago(std::chrono::milliseconds(59'999)) == "59s ago");
    CHECK(format_ago(std::chrono::minutes(5)) == "5m ago");
    CHECK(format_ago(std::chrono::hours(49)) == "2d ago");
    CHECK_FALSE(parse_iso_utc("2026-11-25 13:20:00Z"));
    CHECK_FALSE(parse_iso_utc("2026-11-25T13:20:0xZ"));
    CHECK(WallClock::to_time_t(at("1970-01-02T00:00:00Z")) == 86400);
    CHECK(clock_time(at("2026-11-25T13:20:07.999Z"), true) == "13:20:07");
}

TEST_CASE("cli render: log lines of one instance and of several") {
    const Json out = {{"instance", "api#0"}, {"stream", "out"}, {"line", "GET /health 200"}};
    const Json err = {{"instance", "worker#12"}, {"stream", "err"}, {"line", "TypeError: x\tis undefined"}};
    LogsView one;
    CHECK(render_log_line(out, one) == "GET /health 200\n");
    CHECK(render_log_line(err, one) == "TypeError: x\tis undefined\n");
    LogsView several{true, 9, false, Style{false}};
    CHECK(render_log_line(out, several) == "api#0     | GET /health 200\n");
    CHECK(render_log_line(err, several) == "worker#12 ! TypeError: x\tis undefined\n");
    // On a terminal: escape sequences out, stderr in red.
    LogsView terminal{true, 5, true, Style{true}};
    const Json colored = {{"instance", "api#0"}, {"stream", "err"}, {"line", "\x1b[31mboom\x1b[0m\a"}};
    CHECK(render_log_line(colored, terminal) == "\x1b[31mapi#0 !\x1b[0m boom?\n");
    CHECK(render_log_line(out, terminal) == "\x1b[2mapi#0 |\x1b[0m GET /health 200\n");
    CHECK(render_log_line(err, LogsView{false, 0, false, Style{true}}) == "\x1b[31mTypeError: x\tis undefined\x1b[0m\n");
}

TEST_CASE("cli render: events") {
    const EventsView view{true, Style{false}};
    CHECK(render_event(Json::parse(R"({"time":"2026-11-25T12:01:02.345Z","instance":"api#0","from":"running",
        "to":"backoff","reason":"exited with code 1 after 2.6s; restarting in 100ms"})"), view) ==
          "12:01:02 api#0 running -> backoff: exited with code 1 after 2.6s; restarting in 100ms\n");
    CHECK(render_event(Json::parse(R"({"time":1795698062000,"instance":"api#1","from":"stopping","to":"stopped"})"),
                       view) == "13:01:02 api#1 stopping -> stopped\n");
    CHECK(render_event(Json::parse(R"({"time":"2026-11-25T12:01:02Z","kind":"reload","changes":2})"), view) ==
          "12:01:02 {\"kind\":\"reload\",\"changes\":2}\n");
    CHECK(render_event(Json::parse(R"({"time":"2026-11-25T12:01:02Z","instance":"api#0","from":"starting",
        "to":"running"})"), EventsView{true, Style{true}}) ==
          "\x1b[2m12:01:02\x1b[0m \x1b[1mapi#0\x1b[0m starting -> \x1b[32mrunning\x1b[0m\n");
}

TEST_CASE("cli render: start stop restart and signal") {
    const Json two = {{"instances", {"api#0", "api#1"}}};
    CHECK(render_instances("restart", two) == "restarting api#0, api#1\n");
    CHECK(render_instances("start", Json{{"instances", {"api#0"}}}) == "starting api#0\n");
    CHECK(render_instances("stop", two) == "stopping api#0, api#1\n");
    CHECK(render_instances("stop", Json{{"instances", Json::array()}}) == "nothing to stop\n");
    CHECK(render_instances("signal", two, "SIGUSR2") == "sent SIGUSR2 to api#0, api#1\n");
}

TEST_CASE("cli render: reload changes") {
    CHECK(render_reload(Json{{"changes", Json::array()}}) == "reloaded: no changes\n");
    const auto result = Json::parse(R"({"changes":[{"service":"api","action":"restart"},
        {"service":"worker","action":"scale","from":2,"to":4},{"service":"old","action":"stop"}],
        "warnings":["[supervisor] cannot change while the daemon runs; ignored"]})");
    CHECK(lines_of(render_reload(result)) == std::vector<std::string>{
                                                 "reloaded: 3 changes",
                                                 "  api     restart",
                                                 "  worker  scale (from: 2, to: 4)",
                                                 "  old     stop",
                                                 "warning: [supervisor] cannot change while the daemon runs; ignored",
                                             });
    CHECK(render_reload(Json{{"changes", {{{"service", "api"}, {"action", "update"}}}}}) ==
          "reloaded: 1 change\n  api  update\n");
}

TEST_CASE("cli render: error replies with their details") {
    const auto invalid = Json::parse(R"json({"code":"invalid_config","message":"2 error(s) in corral.toml; nothing changed",
        "details":["corral.toml:3:1: unknown key \"restrat\" in [services.api] (did you mean \"restart\"?)",
                   "corral.toml:4:13: invalid value for services.api.instances (expected an integer from 1 to 1024, got integer 0)"]})json");
    CHECK(lines_of(render_error("reload", invalid)) ==
          std::vector<std::string>{
              "corral.toml:3:1: unknown key \"restrat\" in [services.api] (did you mean \"restart\"?)",
              "corral.toml:4:13: invalid value for services.api.instances (expected an integer from 1 to 1024, got integer 0)",
              "corral reload: 2 error(s) in corral.toml; nothing changed",
          });
    CHECK(render_error("restart", Json{{"code", "not_found"}, {"message", "no service or instance \"apx\""},
                                       {"details", nullptr}}) == "corral restart: no service or instance \"apx\"\n");
    CHECK(render_error("stop", Json{{"code", "shutting_down"}}) == "corral stop: shutting_down\n");
}

TEST_CASE("cli render: status shows the routes - queues on disk - blocked routes and dropped messages") {
    const auto status = Json::parse(R"json({
  "daemon": {"pid": 7, "version": "0.1.0", "uptime_ms": 1500, "config": "/srv/corral.toml"},
  "instances": [{"service": "flood", "index": 0, "state": "running", "pid": 10, "restarts": 0, "uptime_ms": 1000}],
  "routes": [
    {"from": "flood", "to": "slow", "delivery": "round-robin", "unaddressable": 0, "destinations": [
      {"instance": "slow#0", "received": 200000, "delivered": 99393, "dropped": 0, "spilled": 150000,
       "queued_messages": 100607, "queued_bytes": 105120000, "spilled_bytes": 100925440, "blocked": true, "rate": 22100.4}]},
    {"from": "api", "to": "worker", "delivery": "broadcast", "unaddressable": 0, "destinations": [
      {"instance": "worker#0", "received": 1204, "delivered": 1204, "dropped": 0, "spilled": 0,
       "queued_messages": 0, "queued_bytes": 0, "spilled_bytes": 0, "blocked": false, "rate": 0},
      {"instance": "worker#1", "received": 1190, "delivered": 1187, "dropped": 3, "spilled": 0,
       "queued_messages": 0, "queued_bytes": 0, "spilled_bytes": 0, "blocked": false, "rate": 0}]}
  ],
  "channels": [
    {"instance": "flood#0", "messages": 200000, "bytes": 205000000, "malformed": 0, "internal": 0, "unrouted": 0,
     "reading": false, "held": false},
    {"instance": "api#0", "messages": 2398, "bytes": 50000, "malformed": 3, "internal": 0, "unrouted": 1,
     "reading": true, "held": false},
    {"instance": "slow#0", "messages": 0, "bytes": 0, "malformed": 0, "internal": 0, "unrouted": 0,
     "reading": true, "held": true}
  ]
})json");
    const std::string text = render_status(status, StatusView{Style{false}, at("2026-11-25T13:20:00.000Z")});
    const std::vector<std::string> lines = lines_of(text);
    const std::vector<std::string> expected = {
        "ROUTE          TO        DELIVERED  RATE     QUEUED                                     DROPPED",
        "flood -> slow  slow#0    99393      22100/s  100607, 4.0MiB + 96.2MiB on disk, blocked  0",
        "api -> worker  worker#0  1204       0/s      0                                          0",
        "               worker#1  1187       0/s      0                                          3",
        "",
        "flood#0: not read until its routes drain (queues full)",
        "api#0: dropped 3 malformed, 1 unrouted",
        "slow#0: held (cooling)",
    };
    REQUIRE(lines.size() >= expected.size());
    CHECK(std::vector<std::string>(lines.end() - static_cast<long>(expected.size()), lines.end()) == expected);
    const std::string painted = render_status(status, StatusView{Style{true}, at("2026-11-25T13:20:00.000Z")});
    CHECK(painted.find("on disk, \x1b[31mblocked\x1b[0m") != std::string::npos);
    CHECK(painted.find("\x1b[33m3\x1b[0m") != std::string::npos);
}

TEST_CASE("cli render: status without routes has no routes table") {
    const auto status = Json::parse(kStatus);
    CHECK(render_status(status, StatusView{Style{false}, at("2026-11-25T13:20:00.000Z")}).find("ROUTE") == std::string::npos);
}

TEST_CASE("cli render: a cooling instance shows cooling and the time left") {
    const auto status = Json::parse(R"json({
  "daemon": {"pid": 7, "version": "0.1.0", "uptime_ms": 1500, "config": "/srv/corral.toml"},
  "instances": [
    {"service": "child", "index": 0, "state": "running", "pid": 10, "restarts": 0, "uptime_ms": 90000,
     "cooling": {"mode": "hold", "left_ms": 42000, "reason": "write rate 48.2MiB/s over 20.0MiB/s for 10s"}},
    {"service": "parent", "index": 0, "state": "running", "pid": 11, "restarts": 0, "uptime_ms": 90000,
     "cooling": {"mode": "freeze", "left_ms": null, "reason": "manual: corral cool"}},
    {"service": "other", "index": 0, "state": "running", "pid": 12, "restarts": 0, "uptime_ms": 90000, "cooling": null}
  ]
})json");
    const std::string text = render_status(status, StatusView{Style{false}, at("2026-11-25T13:20:00.000Z")});
    CHECK(text.find("child#0   10   cooling 42.0s") != std::string::npos);
    CHECK(text.find("parent#0  11   cooling (manual)") != std::string::npos);
    CHECK(text.find("other#0   12   running") != std::string::npos);
    const std::string painted = render_status(status, StatusView{Style{true}, at("2026-11-25T13:20:00.000Z")});
    CHECK(painted.find("\x1b[36mcooling 42.0s") != std::string::npos);
}
