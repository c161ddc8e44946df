#!/usr/bin/env bash
# Runs a command inside a memory-limited cgroup created below this script's own cgroup, and removes the
# group afterwards (killing whatever the command left in it). The limit is written before any process
# joins. Works with the cgroup v1 memory controller (hybrid hosts) and with cgroup v2 when the memory
# controller is delegated; elsewhere it warns and runs the command without a limit.
# Usage: scripts/run-limited.sh 8G -- COMMAND ARGS...
set -uo pipefail
limit="$1"
shift
[ "${1:-}" = "--" ] && shift

to_bytes() {
  local value="$1"
  case "$value" in
    *G) echo $(( ${value%G} * 1024 * 1024 * 1024 )) ;;
    *M) echo $(( ${value%M} * 1024 * 1024 )) ;;
    *) echo "$value" ;;
  esac
}
bytes=$(to_bytes "$limit")
name="corral-limit-$$"
group=""
v1_self=$(awk -F: '$2 == "memory" { print $3; exit }' /proc/self/cgroup)
v2_self=$(awk -F: '$1 == "0" { print $3; exit }' /proc/self/cgroup)
if [ -n "$v1_self" ] && [ -d "/sys/fs/cgroup/memory${v1_self}" ]; then
  candidate="/sys/fs/cgroup/memory${v1_self%/}/$name"
  if mkdir "$candidate" 2>/dev/null; then
    if echo "$bytes" > "$candidate/memory.limit_in_bytes"; then group="$candidate"; else rmdir "$candidate"; fi
  fi
elif [ -n "$v2_self" ] && [ -f "/sys/fs/cgroup${v2_self%/}/cgroup.subtree_control" ] &&
     grep -qw memory "/sys/fs/cgroup${v2_self%/}/cgroup.subtree_control"; then
  candidate="/sys/fs/cgroup${v2_self%/}/$name"
  if mkdir "$candidate" 2>/dev/null; then
    if echo "$bytes" > "$candidate/memory.max"; then group="$candidate"; else rmdir "$candidate"; fi
  fi
fi

if [ -z "$group" ]; then
  echo "run-limited: no writable memory cgroup here; running without a memory limit" >&2
  exec "$@"
fi

cleanup() {
  local pids
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(cat "$group/cgroup.procs" 2>/dev/null)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    sleep 0.1
  done
  rmdir "$group" 2>/dev/null || echo "run-limited: could not remove $group" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

( echo "$BASHPID" > "$group/cgroup.procs" && exec "$@" )
