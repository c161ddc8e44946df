#!/usr/bin/env bash
# Fails when a file of the product is longer than 400 lines or one of its functions longer than 60: past
# those, a file usually holds two jobs and a function two steps. Tests, benchmarks and fuzzers are not held
# to it (tests may keep deliberately repeated service files). Functions are found by universal-ctags.
# Usage: scripts/check-sizes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
max_file=400
max_function=60

mapfile -t files < <(git ls-files --cached --others --exclude-standard 'base/*' 'policies/*' 'ipc/*' 'supervisor/*' |
                     grep -E '\.(cpp|hpp)$')
status=0
for file in "${files[@]}"; do
  [ -f "$file" ] || continue
  lines=$(wc -l < "$file")
  if [ "$lines" -gt "$max_file" ]; then
    echo "$file: $lines lines (at most $max_file)" >&2
    status=1
  fi
done
# NAME FILE START END for every function definition; `explicit operator bool() const {...}` one-liners are
# misread by ctags as reaching to the end of their class, so operators are left out.
while read -r name file start end; do
  [ -n "$end" ] || continue
  case "$name" in operator*) continue ;; esac
  length=$((end - start + 1))
  if [ "$length" -gt "$max_function" ]; then
    echo "$file:$start: $name is $length lines (at most $max_function)" >&2
    status=1
  fi
done < <(ctags -x --_xformat='%N %F %n %{end}' --kinds-c++=f --fields=+ne --language-force=c++ "${files[@]}")

if [ "$status" -ne 0 ]; then
  echo "check-sizes: cut these by job (files) or into named steps (functions)" >&2
  exit 1
fi
echo "check-sizes: ${#files[@]} files under $max_file lines, every function under $max_function"
