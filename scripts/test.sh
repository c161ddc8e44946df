#!/usr/bin/env bash
# The test command: installs what is missing, builds corral twice (plain, and with AddressSanitizer +
# UndefinedBehaviorSanitizer) and runs every test of both builds, inside an 8 GiB memory cgroup; then
# fuzzes the control-protocol parser and the service-file loader for a minute each (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
scripts/build.sh build-asan -DCORRAL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for dir in build build-asan; do
  echo "== all tests, $dir"
  scripts/run-limited.sh 8G -- ctest --test-dir "$dir" --output-on-failure -j2 --timeout 300
done
echo "== all tests passed (plain and sanitized builds)"

# The protocol parser and the service-file loader read untrusted bytes: a minute of fuzzing each.
scripts/fuzz.sh 60
