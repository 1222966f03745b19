#!/usr/bin/env bash
# Builds every Parley corpus in order, timing each step:
#   ai/data/build_all.sh [--small] [--out DIR] [--seed N] [--jobs N]
# Output goes to --out, else $PARLEY_DATA, else ai/data/out/ (gitignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py=/usr/bin/python3
small=() out="${PARLEY_DATA:-$here/out}" seed=1 jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=(--small) ;;
    --out) out="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    *) echo "build_all.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
"$here/install.sh" --check || { echo "run ai/data/install.sh first (as root)" >&2; exit 1; }
mkdir -p "$out"
common=(--out "$out" --seed "$seed" --jobs "$jobs" "${small[@]}")
total0=$(date +%s.%N)
step() {
  local name="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$py" "$here/$name" "${common[@]}" "$@"
  t1=$(date +%s.%N)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-16s %7.1f s\n", n, b - a }' \
    >> "$out/timings.txt"
}
: > "$out/timings.txt"
step build_speech.py
step build_noise.py
step build_music.py
step build_babble.py
step build_images.py
step build_eval.py
total1=$(date +%s.%N)
awk -v a="$total0" -v b="$total1" 'BEGIN { printf "%-16s %7.1f s\n", "total", b - a }' \
  >> "$out/timings.txt"
echo "== time"
cat "$out/timings.txt"
echo "== size"
for d in speech noise music babble images eval; do du -sh "$out/$d"; done
du -sh "$out"
