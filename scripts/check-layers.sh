#!/usr/bin/env bash
# Fails when a file includes a header of a floor it may not use. The build already refuses to link a
# library against a higher one; this catches what the linker cannot see: an include of a header that
# needs nothing linked (a struct, an inline function, a template).
#
# The floors, lowest first, and what each folder may include besides its own files (a folder allows every
# header in it; a path ending in .hpp allows that header alone). Tests of a folder may include what the
# folder may, the folder itself, headers beside them, and tests/support/. Keep this table and README's
# "Development" in step.
# Usage: scripts/check-layers.sh        (from anywhere; prints every offending include, exits 1 if any)
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A allowed=(
  [base]=""
  [policies]="base/text_format.hpp"
  [supervisor/exec]=""
  [supervisor/cgroup]="base"
  [supervisor/kmsg]="base"
  [supervisor/agent]="base"
  [supervisor/registry]="base"
  [ipc]="base policies"
  [supervisor/config]="base policies supervisor/cgroup/limits.hpp ipc/queue_limits.hpp"
  [supervisor/protocol]="base policies supervisor/config"
  [supervisor/postmortem]="base policies supervisor/config supervisor/cgroup/limits.hpp ipc/queue_limits.hpp"
  [supervisor/control]="base policies supervisor/config supervisor/protocol"
  [supervisor/listen]="base supervisor/config"
  [supervisor/metrics]="base"
  [supervisor/instance]="base policies supervisor/exec supervisor/cgroup supervisor/kmsg supervisor/agent ipc
                         supervisor/config supervisor/postmortem supervisor/listen"
  [supervisor/daemon]="base policies supervisor/exec supervisor/cgroup supervisor/kmsg supervisor/agent ipc
                       supervisor/config supervisor/protocol supervisor/postmortem supervisor/control supervisor/instance
                       supervisor/listen supervisor/registry supervisor/metrics"
  [supervisor/cli/pm2_import]="base policies supervisor/config supervisor/cgroup/limits.hpp ipc/queue_limits.hpp"
  [supervisor/cli]="base policies supervisor/exec supervisor/cgroup supervisor/kmsg supervisor/agent ipc
                    supervisor/config supervisor/protocol supervisor/postmortem supervisor/control supervisor/instance
                    supervisor/listen supervisor/registry supervisor/metrics supervisor/daemon supervisor/cli/pm2_import"
  [supervisor]="supervisor/cli supervisor/instance/exec_shim.hpp base"   # main.cpp
  [fuzz]="base policies ipc supervisor/config supervisor/protocol"
  [bench]="base/unique_fd.hpp"
  [tests/integration]="base policies supervisor tests/support"
  [tests/faults]="base policies supervisor tests/support"
)

# The folder a file belongs to in the table: its own folder, or the nearest one above it that is listed.
folder_of() {
  local dir
  dir=$(dirname "$1")
  case "$dir" in tests/*) [ "$dir" != tests/integration ] && [ "$dir" != tests/faults ] && [ "$dir" != tests/support ] && dir=${dir#tests/} ;; esac
  while [ -z "${allowed[$dir]+set}" ] && [ "$dir" != . ]; do dir=$(dirname "$dir"); done
  echo "$dir"
}

may_include() {  # file, header
  local file="$1" header="$2" folder entry
  folder=$(folder_of "$file")
  [ "$(dirname "$header")" = "$folder" ] && return 0
  case "$file" in
    tests/*)
      case "$header" in tests/support/*) return 0 ;; esac
      [ "$(dirname "$header")" = "$(dirname "$file")" ] && return 0             # a helper beside the test
      [ "$(dirname "$header")" = "$(dirname "${file#tests/}")" ] && return 0 ;;  # the folder it tests
  esac
  for entry in ${allowed[$folder]}; do
    case "$header" in
      "$entry") return 0 ;;
      "$entry"/*) [[ "$entry" != *.hpp ]] && return 0 ;;
    esac
  done
  return 1
}

status=0
checked=0
while IFS= read -r file; do
  case "$file" in tests/support/* | tests/main.cpp | tests/fixtures/*) continue ;; esac
  folder=$(folder_of "$file")
  if [ "$folder" = . ]; then
    echo "check-layers: $file is in no folder of the table in scripts/check-layers.sh" >&2
    status=1
    continue
  fi
  checked=$((checked + 1))
  while IFS=: read -r line header; do
    if ! may_include "$file" "$header"; then
      echo "$file:$line: includes \"$header\", which $folder/ may not use" >&2
      status=1
    fi
  done < <(grep -n '^#include "' "$file" | sed -E 's/^([0-9]+):#include "([^"]+)".*/\1:\2/')
done < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp')

if [ "$status" -ne 0 ]; then
  echo "check-layers: includes that reach a higher floor (see the table at the top of $0)" >&2
  exit 1
fi
echo "check-layers: $checked files include only their own floor and the floors below"
