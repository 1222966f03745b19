#!/usr/bin/env bash
# The bandwidth-extension quality table, one command:
#   scripts/bwe-table.sh [--model FILE.plmd]
# Builds parley and the evaluation tool if needed, builds the evaluation
# set if missing (ai/data/build_all.sh), then runs build/tests/extend_eval:
# every held-out utterance (eval/48k/clean, the reference) against its
# 16 kHz copy (8 kHz band) and 8 kHz copy (4 kHz band), each resampled to
# 48 kHz and extended by none (plain resampling), spectral folding and the
# model, through the code `parley extend` runs. Writes the table into
# docs/quality.md between the bwe-table markers (also printed; per-file rows
# in build/bwe-table.tsv). The model is the stage's `extend` (docs/bwe.md;
# ai/bwe is the bandwidth *estimator* of congestion control).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
build="${BUILD:-build}"
data="${PARLEY_DATA:-$root/ai/data/out}"
if [ ! -x "$build/tests/extend_eval" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j 2 --target extend_eval parley_app
fi
if [ ! -d "$data/eval/48k/clean" ]; then
  ai/data/build_all.sh --out "$data"
fi
md="$build/bwe-table.md"
"$build/tests/extend_eval" "$data/eval/48k/clean" "$data/eval/16k/clean" "$data/eval/8k/clean" \
  --list "$@" > "$build/bwe-table.out"
grep -v '^|' "$build/bwe-table.out" > "$build/bwe-table.tsv" || true
grep '^|' "$build/bwe-table.out" > "$md"
cat "$md"
doc=docs/quality.md
begin='<!-- bwe-table:begin (scripts/bwe-table.sh writes this) -->'
end='<!-- bwe-table:end -->'
if ! grep -qF "$begin" "$doc" 2>/dev/null; then
  echo "$doc has no bwe-table markers; table left in $md" >&2
  exit 0
fi
{
  sed -n "1,/^$(printf '%s' "$begin" | sed 's/[][\/.*^$]/\\&/g')\$/p" "$doc"
  echo
  echo "Command: \`scripts/bwe-table.sh $*\` ($(git rev-parse --short HEAD), $(date -u +%Y-%m-%d))."
  echo
  cat "$md"
  echo
  sed -n "/^$(printf '%s' "$end" | sed 's/[][\/.*^$]/\\&/g')\$/,\$p" "$doc"
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
echo "updated $doc"
