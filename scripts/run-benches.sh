#!/usr/bin/env bash
# Runs every benchmark program in DIR; each prints its own Markdown rows.
set -euo pipefail
dir=${1:?usage: run-benches.sh DIR}
for b in "$dir"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
done
