#!/usr/bin/env bash
# Soak test: a simulated call of SECONDS (default 3600) with audio and video
# both ways (bench_soak: speech + 320x240 VP8 pattern, 40 ms delay, 5 ms
# jitter, 1 % loss), sampling the process's RSS and heap in use every
# minute of call time, then a Markdown table of the samples at 1, 5, 15,
# 30 and 60 minutes (those inside the call) and the growth after warm-up.
#
#   scripts/soak.sh [BUILD_DIR] [SECONDS] [extra bench_soak flags...]
#
# BUILD_DIR defaults to build. A build with -DPL_SANITIZE=ON runs the same
# call under ASan/LSan (shorter: ~10x slower) and fails on any leak at exit.
# The full sample log goes to $SOAK_LOG (default /tmp/parley-soak.log).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
secs=${2:-3600}
shift $(($# > 2 ? 2 : $#))
bin=$build/bench/bench_soak
[ -x "$bin" ] || { echo "no $bin: build it first (cmake --build $build --target bench_soak)" >&2; exit 2; }
log=${SOAK_LOG:-/tmp/parley-soak.log}
every=60
awk "BEGIN { exit !($secs < 600) }" && every=10
"$bin" --seconds "$secs" --every "$every" "$@" | tee "$log" >&2
warm=$(awk "BEGIN { print ($secs >= 600 ? 300 : $every) }")
awk -v warm="$warm" '
  /^#/ { notes = notes $0 "\n"; next }
  $1 == "call_s" { next }
  {
    t = $1 + 0
    rss[t] = $3; heap[t] = $4; wall[t] = $2; lost_a[t] = $7; lost_v[t] = $8; last = t
  }
  END {
    print "| call time | wall s | RSS MiB | heap in use MiB | audio lost | video lost |"
    print "| ---: | ---: | ---: | ---: | ---: | ---: |"
    n = split("10 30 60 300 900 1800 3600", ts, " ")
    if (last != ts[n]) ts[++n] = last
    for (i = 1; i <= n; i++) {
      t = ts[i]
      if (!(t in rss) || (t in done)) continue
      done[t] = 1
      label = t >= 60 ? sprintf("%g min", t / 60) : sprintf("%g s", t)
      printf "| %s | %.0f | %.1f | %.1f | %s | %s |\n", label, wall[t], rss[t] / 1024,
             heap[t] / 1024, lost_a[t], lost_v[t]
    }
    if (warm in rss)
      printf "\nAfter warm-up (%g s to %g s): RSS %+.1f MiB, heap in use %+.2f MiB.\n",
             warm, last, (rss[last] - rss[warm]) / 1024, (heap[last] - heap[warm]) / 1024
    printf "%s", notes
  }' "$log"
