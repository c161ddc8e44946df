#pragma once
// `corral describe TARGET` as text, from the daemon's describe result (supervisor/daemon/describe_command.cpp):
//
//   web, from /srv/app/corral.toml:12
//
//   command      node server.js --port 3000
//   cwd          /srv/app
//   env          API_KEY=********  NODE_ENV=production
//   instances    2
//   restart      always, backoff 100ms x1.5 up to 15s (reset after 30s), start limit 5 in 10s
//   stop         SIGTERM, SIGKILL after 5s
//   limits       memory.max 512.0MiB, pids.max 100, cpu.max 150%
//   ...
//
//   INSTANCE  PID    STATE    UPTIME  RESTARTS  CPU  MEMORY (NOW/PEAK/LIMIT)     LAST EXIT
//   web#0     48213  running  10m47s  3         57%  120.5MiB/200.0MiB/512.0MiB  oom-kill, 10m ago
//
//   web#0  cgroup web/0, logs /srv/app/.corral/logs/web-0.out.log /srv/app/.corral/logs/web-0.err.log
//          exits: oom-kill 2, exit-code 1
//          node  heap 12.6MiB of 28.8MiB, external 1.5MiB, array buffers 10.4KiB, 3 active handles
//                event-loop delay p50 10.1ms, p99 12.3ms, max 30.4ms; GC 115.8ms in all; reported 400ms ago
//
//   routes
//     web -> worker  round-robin, 2000 msg/s, queue 100000 messages / 16.0MiB, overflow spill
//
//   post-mortems (corral postmortem --show ID)
//     web-0/20261125T130913.000Z-oom-kill  oom-kill, 10m ago
#include <string>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

std::string render_describe(const Json& result, WallClock::time_point now, const Style& style = {});

// The spec's lines ("command      node server.js"), for tests.
std::string render_spec(const Json& spec);

}  // namespace corral::supervisor::cli
