#!/usr/bin/env bash
# Runs every libFuzzer target in DIR for SECONDS each, from its seed corpus
# in tests/fuzz/corpus/NAME (if any); fails if any target finds a crash.
set -euo pipefail
dir=${1:?usage: run-fuzzers.sh DIR SECONDS}
secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for f in "$dir"/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  work=$(mktemp -d)
  seeds=()
  [ -d "$root/tests/fuzz/corpus/$name" ] && seeds=("$root/tests/fuzz/corpus/$name")
  echo "== $name (${secs}s)"
  if ! "$f" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" \
      "$work" "${seeds[@]}" >"$work/log" 2>&1; then
    echo "$name FAILED; see $work/log"; tail -40 "$work/log"; status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/log" | tail -2
  fi
done
exit $status
