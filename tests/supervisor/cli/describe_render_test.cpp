// `corral describe` and the no-op lines of start, stop, cool and heat, from canned daemon results.
#include <doctest/doctest.h>

#include <string>

#include "supervisor/cli/describe_view.hpp"
#include "supervisor/cli/reply_views.hpp"
#include "supervisor/cli/status_view.hpp"
#include "tests/support/doctest_strings.hpp"

using namespace corral::supervisor::cli;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* kDescribe = R"json({
  "target": "web",
  "service": {"name": "web", "command": ["node", "server.js"], "shell": false, "cwd": "/srv/app",
              "env": {"API_TOKEN": "********", "NODE_ENV": "production"}, "instances": 1, "restart": "always",
              "backoff": {"initial_ms": 100, "factor": 1.5, "max_ms": 15000, "reset_after_ms": 30000},
              "start_limit": {"burst": 5, "interval_ms": 10000}, "stop": {"signal": "SIGTERM", "timeout_ms": 5000},
              "limits": {"memory": {"max": 268435456, "high": null, "swap_max": null}, "pids": {"max": 64},
                         "cpu": {"weight": null, "max_percent": 50}},
              "memory": {"restart_at": null, "snapshot_at": null}, "cooling": null, "throttle": null,
              "ipc": "json", "parent": null, "listen": {"addresses": ["127.0.0.1:3000"], "backlog": 511, "adopt": true},
              "ready": {"kind": "exec", "probe": null, "timeout_ms": 30000},
              "rollout": {"surge": 1, "max_unavailable": 0}, "logs": {"max_size": 10485760, "keep": 5, "timestamps": false}},
  "file": {"path": "/srv/app/corral.toml", "line": 12},
  "instances": [{"service": "web", "index": 0, "state": "running", "pid": 4242, "restarts": 2, "uptime_ms": 65000,
                 "cgroup": "web/0", "cpu_percent": 57.4,
                 "memory": {"current": 104857600, "peak": 209715200, "max": 268435456},
                 "last_exit": {"reason": "exit-code", "code": 3, "signal": null, "at": "2026-11-25T13:19:00.000Z"},
                 "exits": {"exit-code": 2},
                 "logs": {"out": "/srv/app/.corral/logs/web-0.out.log", "err": "/srv/app/.corral/logs/web-0.err.log"}}],
  "routes": [{"from": "web", "to": "worker", "delivery": "round-robin", "implicit": false,
              "rate": {"messages_per_second": 2000, "bytes_per_second": null},
              "queue": {"max_bytes": 16777216, "max_messages": 100000, "overflow": "spill", "spill_max": 1073741824,
                        "durable": false}, "live": null}],
  "postmortems": [{"id": "web-0/20261125T131900.000Z-exit-code", "reason": "exit-code",
                   "ended_at": "2026-11-25T13:19:00.000Z"}]
})json";

}  // namespace

TEST_CASE("describe render: the spec, the instances, the routes and the post-mortems") {
    const auto now = parse_iso_utc("2026-11-25T13:20:00.000Z").value();
    const std::string text = render_describe(Json::parse(kDescribe), now);
    CHECK(text.rfind("web, from /srv/app/corral.toml:12\n\n", 0) == 0);
    CHECK(contains(text, "command      node server.js\n"));
    CHECK(contains(text, "env          API_TOKEN=********  NODE_ENV=production\n"));
    CHECK(contains(text, "restart      always, backoff 100ms x1.5 up to 15.0s (reset after 30.0s), start limit 5 in 10.0s\n"));
    CHECK(contains(text, "limits       memory.max 256.0MiB, pids.max 64, cpu.max 50%\n"));
    CHECK(contains(text, "listen       127.0.0.1:3000 (backlog 511)\n"));
    CHECK(contains(text, "INSTANCE  PID   STATE    UPTIME  RESTARTS  CPU  MEMORY (NOW/PEAK/LIMIT)     LAST EXIT\n"));
    CHECK(contains(text, "web#0     4242  running  1m05s   2         57%  100.0MiB/200.0MiB/256.0MiB  exit-code 3, 1m ago\n"));
    CHECK(contains(text, "web#0  cgroup web/0\n       logs /srv/app/.corral/logs/web-0.out.log /srv/app/.corral/logs/web-0.err.log\n"));
    CHECK(contains(text, "       exits exit-code 2\n"));
    CHECK(contains(text, "routes\n  web -> worker  round-robin, 2000 msg/s, queue 100000 messages / 16.0MiB, overflow spill\n"));
    CHECK(contains(text, "post-mortems (corral postmortem --show ID)\n  web-0/20261125T131900.000Z-exit-code  exit-code, 1m ago\n"));
    // A daemon of `corral run` has no file; nothing to show is said, not left out.
    Json bare = Json::parse(kDescribe);
    bare["file"] = {{"path", nullptr}, {"line", nullptr}};
    bare["postmortems"] = Json::array();
    bare["routes"] = Json::array();
    const std::string run = render_describe(bare, now);
    CHECK(run.rfind("web, from corral run\n", 0) == 0);
    CHECK(contains(run, "post-mortems: none\n"));
    CHECK_FALSE(contains(run, "routes"));
}

TEST_CASE("describe render: odd values from the daemon do not break the view") {
    CHECK(render_describe(Json::object(), {}).find("post-mortems: none") != std::string::npos);
    CHECK(render_describe(Json::parse(R"({"service":{"command":"x","env":[1]},"instances":[{}]})"), {}).size() > 0);
    CHECK(render_spec(Json::parse(R"({"name":"a\u001b[2Jb","cwd":"\u001b[31m"})")).find('\x1b') == std::string::npos);
}

TEST_CASE("no-op render: start of a running one, stop of a stopped one, heat of a working one") {
    CHECK(render_instances("start", Json::parse(R"({"instances":["web#0","web#1"],"already":["web#0"]})")) ==
          "starting web#1\nweb#0 is already running\n");
    CHECK(render_instances("stop", Json::parse(R"({"instances":["web#0"],"already":["web#0"]})")) ==
          "web#0 is already stopped\n");
    CHECK(render_instances("restart", Json::parse(R"({"instances":["web#0"],"already":[]})")) == "restarting web#0\n");
    CHECK(render_instances("stop", Json::parse(R"({"instances":["web#0"]})")) == "stopping web#0\n");  // an older daemon
    CHECK(render_cooling(Json::parse(R"({"instances":[{"instance":"web#0","cooling":false,"reason":"manual: corral heat",
        "already":true}],"not_running":["web#1"]})")) == "web#0 is not cooling\nweb#1: not running\n");
    CHECK(render_cooling(Json::parse(R"({"instances":[{"instance":"web#0","cooling":true,"reason":"manual: corral cool",
        "already":true},{"instance":"web#1","cooling":true,"reason":"manual: corral cool","already":false}],
        "not_running":[]})")) == "web#0 is already cooling\nweb#1: cooling (manual: corral cool)\n");
}

TEST_CASE("status render: the CPU cell") {
    CHECK(cpu_cell(Json::parse(R"({"cpu_percent":57.4})")) == "57%");
    CHECK(cpu_cell(Json::parse(R"({"cpu_percent":0.34})")) == "0.3%");
    CHECK(cpu_cell(Json::parse(R"({"cpu_percent":199.6})")) == "200%");
    CHECK(cpu_cell(Json::parse(R"({"cpu_percent":null})")) == "-");
    CHECK(cpu_cell(Json::parse(R"({})")) == "-");
    const auto status = Json::parse(R"({"daemon":{"pid":1},"instances":[
        {"service":"spin","index":0,"state":"running","pid":10,"uptime_ms":5000,"restarts":0,"cpu_percent":98.7,"last_exit":null},
        {"service":"idle","index":0,"state":"running","pid":11,"uptime_ms":5000,"restarts":0,"cpu_percent":0.1,"last_exit":null}]})");
    const std::string text = render_status(status, StatusView{});
    INFO(text);
    CHECK(contains(text, "INSTANCE  PID  STATE    UPTIME  RESTARTS  CPU   MEMORY  LAST EXIT\n"));
    CHECK(contains(text, "spin#0    10   running  5.0s    0         99%   -       -\n"));
    CHECK(contains(text, "idle#0    11   running  5.0s    0         0.1%  -       -\n"));
}
