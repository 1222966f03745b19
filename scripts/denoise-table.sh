#!/usr/bin/env bash
# The noise-suppression quality table, one command:
#   scripts/denoise-table.sh [--limit N] [--model FILE.plmd]
# Builds parley if needed, builds the evaluation set if missing
# (ai/data/build_all.sh), runs `parley denoise` (model and --speex) and
# `parley metrics --json` over every held-out noisy file at 0/5/10/15 dB,
# 16 and 48 kHz, and writes the table into docs/quality.md between the
# denoise-table markers (also printed; JSON in build/denoise-table.json).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
build="${BUILD:-build}"
data="${PARLEY_DATA:-$root/ai/data/out}"
if [ ! -x "$build/bin/parley" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j 2 --target parley_app
fi
if [ ! -f "$data/eval/pairs.jsonl" ]; then
  ai/data/build_all.sh --out "$data"
fi
md="$build/denoise-table.md"
PYTHONPATH="$root" /usr/bin/python3 -m ai.train.denoise.evaluate \
  --parley "$build/bin/parley" --data "$data" --json "$build/denoise-table.json" \
  --md "$md" "$@"
doc=docs/quality.md
begin='<!-- denoise-table:begin (scripts/denoise-table.sh writes this) -->'
end='<!-- denoise-table:end -->'
if ! grep -qF "$begin" "$doc" 2>/dev/null; then
  echo "$doc has no denoise-table markers; table left in $md" >&2
  exit 0
fi
{
  sed -n "1,/^$(printf '%s' "$begin" | sed 's/[][\/.*^$]/\\&/g')\$/p" "$doc"
  echo
  echo "Command: \`scripts/denoise-table.sh $*\` ($(git rev-parse --short HEAD), $(date -u +%Y-%m-%d))."
  echo
  cat "$md"
  echo
  sed -n "/^$(printf '%s' "$end" | sed 's/[][\/.*^$]/\\&/g')\$/,\$p" "$doc"
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
echo "updated $doc"
