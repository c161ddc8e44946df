#!/usr/bin/env bash
# Installs what is missing, builds corral, and runs the benchmarks (inside a 12 GiB memory cgroup).
# Usage: scripts/bench.sh [arguments for bench/core.js, e.g. --no-pm2 or --runs 50]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
scripts/run-limited.sh 12G -- node bench/core.js "$@"
