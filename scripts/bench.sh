#!/usr/bin/env bash
# Installs what is missing, builds corral, and runs the benchmarks (inside a 12 GiB memory cgroup).
# Usage: scripts/bench.sh [arguments for bench/compare.js: --runs N, --no-pm2, --no-supervisord, --only ...]
#   bench/compare.js  corral beside pm2, supervisord and bare node (build/bare_launcher): daemon RSS and idle
#                     CPU with 50 services, crash and OOM kill to the next first line, cold start of 10
#                     services, status with 50 services; a markdown table (about 10 minutes at 5 runs)
#   bench/cgroups.js  time to start 50 instances with and without cgroups
#   bench/oom.js      20 OOM kills: kill to post-mortem and to running again, classification, vs pm2
#   bench/control.js  corral status round trip with 50 instances vs pm2 jlist; RSS around 1000 clients
#   bench/ipc.js      IPC through corral vs direct fork() vs a bare relay: throughput, round trips, the
#                     article's flood
#   bench/article.js  the article's scenario for 60 s: plain node vs corral with cooling
#   bench/restart_storm.js  50 instances of `false` with backoff 0: daemon CPU per restart, status latency
#   bench/idle.js     daemon CPU with 50 idle Node services, 5 x 60 s, beside supervisord (Debian's `supervisor`)
#   bench/metrics.js  GET /metrics of 50 instances end to end, beside the same bytes from a static server
#   bench/deploy.js   rolling reloads every 5 s for 60 s of HTTP load (autocannon): 4 instances behind corral's
#                     held socket vs pm2's cluster mode; failed requests, latency, rollouts (about 20 minutes)
# Not run here (30 minutes): scripts/run-limited.sh 8G -- node bench/soak.js [--minutes N], the daemon's RSS
# under a realistic mix, and its slope.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# supervisord is measured, not used: Debian's package enables its system service, which must not run beside
# the benchmark (compare.js runs its own supervisord, with its own config and socket in a temp dir).
if command -v systemctl >/dev/null 2>&1 && [ -e /lib/systemd/system/supervisor.service ]; then
  systemctl disable --now supervisor >/dev/null 2>&1 || systemctl disable supervisor >/dev/null 2>&1 || true
fi
scripts/build.sh build
pm2_flag=()
for arg in "$@"; do [ "$arg" = --no-pm2 ] && pm2_flag=(--no-pm2); done
scripts/run-limited.sh 12G -- node bench/compare.js "$@"
echo
scripts/run-limited.sh 12G -- node bench/cgroups.js
echo
scripts/run-limited.sh 12G -- node bench/oom.js "${pm2_flag[@]}"
echo
scripts/run-limited.sh 12G -- node bench/control.js "${pm2_flag[@]}"
echo
scripts/run-limited.sh 12G -- node bench/ipc.js
echo
scripts/run-limited.sh 12G -- node bench/article.js
echo
scripts/run-limited.sh 12G -- node bench/restart_storm.js
echo
scripts/run-limited.sh 12G -- node bench/idle.js
echo
scripts/run-limited.sh 12G -- node bench/metrics.js
echo
scripts/run-limited.sh 12G -- node bench/deploy.js "${pm2_flag[@]}"
echo
scripts/run-limited.sh 12G -- node bench/agent.js
