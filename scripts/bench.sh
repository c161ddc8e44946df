#!/usr/bin/env bash
# Installs what is missing, builds corral, and runs the benchmarks (inside a 12 GiB memory cgroup).
# Usage: scripts/bench.sh [arguments for bench/core.js, e.g. --no-pm2 or --runs 50]
#   bench/core.js     crash-to-restart latency vs a bare node start-up; daemon RSS with 50 services (vs pm2)
#   bench/cgroups.js  time to start 50 instances with and without cgroups
#   bench/oom.js      20 OOM kills: kill to post-mortem and to running again, classification, vs pm2
#   bench/control.js  corral status round trip with 50 instances vs pm2 jlist; RSS around 1000 clients
#   bench/ipc.js      IPC through corral vs direct fork(): throughput, round trips, the article's flood
#   bench/article.js  the article's scenario for 60 s: plain node vs corral with cooling
#   bench/restart_storm.js  50 instances of `false` with backoff 0: daemon CPU per restart, status latency
#   bench/idle.js     daemon CPU with 50 idle Node services, 5 x 60 s, beside supervisord (Debian's `supervisor`)
# Not run here (30 minutes): scripts/run-limited.sh 8G -- node bench/soak.js [--minutes N], the daemon's RSS
# under a realistic mix, and its slope.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
scripts/run-limited.sh 12G -- node bench/core.js "$@"
echo
scripts/run-limited.sh 12G -- node bench/cgroups.js
echo
scripts/run-limited.sh 12G -- node bench/oom.js "$@"
echo
scripts/run-limited.sh 12G -- node bench/control.js "$@"
echo
scripts/run-limited.sh 12G -- node bench/ipc.js
echo
scripts/run-limited.sh 12G -- node bench/article.js
echo
scripts/run-limited.sh 12G -- node bench/restart_storm.js
echo
scripts/run-limited.sh 12G -- node bench/idle.js
