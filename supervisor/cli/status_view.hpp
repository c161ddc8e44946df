#pragma once
// `corral status` as a table, from the daemon's status result:
//   {"daemon":{"pid","version","uptime_ms","config","state_dir","cgroups"},"instances":[...]}
// where each instance is what supervisor/daemon/status_file.cpp instance_status() writes. For 100 columns:
//
//   corral 0.1.0, pid 4242, up 2h10m, config /srv/app/corral.toml
//
//   INSTANCE  PID    STATE    UPTIME  RESTARTS  CPU   MEMORY                        LAST EXIT
//   api#0     48213  running  10m47s  3         57%   120.5MiB/512.0MiB ▕█▉      ▏  oom-kill, 10m ago [1]
//   api#1     -      backoff  -       7         -     -                             exit-code 1, 1s ago [2]
//
//   [1] corral postmortem --show api-0/20261125T130913.000Z-oom-kill
//   [2] corral postmortem --show api-1/20261125T131958.500Z-exit-code
//
//   (then the routes, when there are any: supervisor/cli/routes_view.hpp)
//
// CPU is the percentage of one CPU over the daemon's last sample (200% = two CPUs); the column shows when
// the daemon reports it ("cpu_percent", null while unknown).
// A cooling instance's state reads "cooling 42.0s" (the time left; "cooling (manual)" until corral heat).
// The bar is memory.current against memory.max (cyan, yellow from 80%, red from 95%); without a limit
// only the usage shows. A post-mortem id would not fit in its row: a footnote gives the command to read it.
#include <string>

#include "supervisor/cli/view_text.hpp"

namespace corral::supervisor::cli {

struct StatusView {
    Style style;
    WallClock::time_point now;  // for "5m ago"
};

std::string render_status(const Json& status, const StatusView& view);

// The parts, for tests.
std::string render_daemon_line(const Json& daemon);
// "120.5MiB/512.0MiB ▕██      ▏", "120.5MiB" without a limit, "-" without data. `size_width` pads the
// sizes so that the bars of several rows line up.
std::string memory_cell(const Json& memory, std::size_t size_width = 0);
// "57%", "0.3%"; "-" without a number.
std::string cpu_cell(const Json& instance);
// "oom-kill, 5m ago", "exit-code 1, 2s ago", "signal SIGSEGV, 1h ago"; "-" for null.
std::string last_exit_cell(const Json& last_exit, WallClock::time_point now, const Style& style = {});

}  // namespace corral::supervisor::cli
