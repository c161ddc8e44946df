#!/usr/bin/env bash
# Fuzzes the control-protocol parser, the service-file loader and the IPC frame decoder and message check
# with libFuzzer (clang, ASan + UBSan):
# builds build-fuzz/, then runs each fuzzer for SECONDS (default 60) on a fresh copy of its seed corpus
# (fuzz/corpus/<name>/, which never grows), inside a 4 GiB memory cgroup. Fails when a fuzzer finds a
# crash, a leak, a timeout or runs out of memory; what it found is kept in build-fuzz/artifacts/.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
case "$seconds" in
  ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCORRAL_FUZZ=ON -DCORRAL_TESTS=OFF >/dev/null
ninja -C build-fuzz control_request_fuzzer service_file_fuzzer ipc_frame_fuzzer

root="$PWD/build-fuzz"
mkdir -p "$root/artifacts" "$root/logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=()
for name in control_request service_file ipc_frame; do
  fuzzer="$root/${name}_fuzzer"
  corpus="$root/corpus/$name"
  log="$root/logs/$name.log"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$name"/* "$corpus"/
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$root/artifacts/$name-")
  [ -f "fuzz/$name.dict" ] && options+=(-dict="fuzz/$name.dict")

  echo "== fuzzing $name for ${seconds}s ($(ls "$corpus" | wc -l) seeds; log: $log)"
  stamp="$root/logs/$name.started"
  touch "$stamp"
  status=0
  scripts/run-limited.sh 4G -- "$fuzzer" "${options[@]}" "$corpus" >"$log" 2>&1 || status=$?
  # The last status line: runs, coverage (cov: edges, ft: features), corpus, limit, exec/s, memory.
  grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  found=$(find "$root/artifacts" -maxdepth 1 -type f -name "$name-*" -newer "$stamp" | sort)
  if [ "$status" -ne 0 ] || [ -n "$found" ]; then
    echo "fuzz: $name FAILED (exit status $status); the end of its log:" >&2
    tail -n 60 "$log" >&2
    echo "fuzz: inputs that reproduce it (run: $fuzzer FILE):" >&2
    echo "${found:-(none written; see the log)}" | sed 's/^/  /' >&2
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "== fuzzing found nothing in ${seconds}s per target"
