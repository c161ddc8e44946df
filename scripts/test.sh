#!/usr/bin/env bash
# The test command: installs what is missing; checks that no file includes a higher floor
# (scripts/check-layers.sh) and that no product file or function is too long (scripts/check-sizes.sh);
# builds corral twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors)
# and runs every test of both builds, inside an 8 GiB memory cgroup; builds it once more the way a
# packager does (Release) and runs its unit tests; then fuzzes the control-protocol parser, the
# service-file loader and the IPC frame decoder for a minute each (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-layers.sh
scripts/check-sizes.sh
scripts/build.sh build
scripts/build.sh build-asan -DCORRAL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for dir in build build-asan; do
  echo "== all tests, $dir"
  scripts/run-limited.sh 8G -- ctest --test-dir "$dir" --output-on-failure -j2 --timeout 300
done
echo "== all tests passed (plain and sanitized builds)"

echo "== a packager's build: cmake -DCMAKE_BUILD_TYPE=Release (here with warnings as errors, so none creeps in)"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCORRAL_WERROR=ON >/dev/null
ninja -C build-release
scripts/run-limited.sh 8G -- ctest --test-dir build-release --output-on-failure -j2 --timeout 300 -L unit

# The protocol parser, the service-file loader and the frame decoder read untrusted bytes: a minute each.
scripts/fuzz.sh 60
