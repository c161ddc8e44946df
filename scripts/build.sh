#!/usr/bin/env bash
# Configures and builds corral. Usage: scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
# The default build directory is build/, giving build/corral. Warnings are errors here (developers, CI); a
# packager's plain `cmake -DCMAKE_BUILD_TYPE=Release` build only warns.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORRAL_WERROR=ON "$@" >/dev/null
ninja -C "$dir"
