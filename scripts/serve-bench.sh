#!/usr/bin/env bash
# Calls per core for an echo server: `parley serve --echo` (defaults: no
# media-graph stage, libopus 1.5's NoLACE on; then with libopus's neural
# tools off too; then denoise on) and Debian's python3-aiortc (tests/bench/aiortc_echo.py)
# answering the same load from bench_serve (two-way Opus, 32 kbit/s, 20 ms).
# The server is pinned to CPU 0, the generator to CPU 1; a size is
# "sustained" when the echoed audio shows no concealment (< 0.5 % overall,
# < 2 % on the worst call: on 127.0.0.1 nothing is lost, so concealment is
# lateness), the mouth-to-ear delay steady (the echo's mean jitter-buffer
# delay under 50 ms: ~30 ms on an idle loopback; it grows when the server's
# media thread starts to lag), the generator kept up (under 0.5 % of its 10 ms ticks late: a
# generator that falls behind shows lateness that is not the server's), and
# the server used under 95 % of its core.
#
#   scripts/serve-bench.sh [BUILD_DIR] [SIZES] [SECONDS] [KINDS]
#   scripts/serve-bench.sh build "16 32 48 64 80" 10
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/lib/port.sh"
build=${1:-build}
sizes=${2:-16 32 48 64 80}
secs=${3:-10}
kinds=${4:-parley parley-ai-off parley+denoise aiortc}
parley=$build/bin/parley
gen=$build/bench/bench_serve
[ -x "$parley" ] && [ -x "$gen" ] || { echo "build first: cmake --build $build"; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (server and generator apart)"; exit 1; }
out=$(mktemp -d)
spid=
trap 'kill $spid 2>/dev/null || true; rm -rf "$out"' EXIT

start_server() { # kind port
  case $1 in
    parley) taskset -c 0 "$parley" serve --listen 127.0.0.1:$2 --echo --max-calls 1024 --max-conns-per-ip 256 --quiet \
              >"$out/server.out" 2>&1 & ;;
    parley+denoise) taskset -c 0 "$parley" serve --listen 127.0.0.1:$2 --echo --max-calls 1024 \
              --max-conns-per-ip 256 --stage denoise=on --quiet >"$out/server.out" 2>&1 & ;;
    parley-ai-off) taskset -c 0 "$parley" serve --listen 127.0.0.1:$2 --echo --max-calls 1024 \
              --max-conns-per-ip 256 --opus-neural off --quiet >"$out/server.out" 2>&1 & ;;
    aiortc) taskset -c 0 /usr/bin/python3 "$root/tests/bench/aiortc_echo.py" $2 \
              >"$out/server.out" 2>&1 & ;;
  esac
  spid=$!
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$2) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 never came up"; cat "$out/server.out"; exit 1
}

echo "| server | calls | server CPU (share of a core) | CPU per call | concealed (all / worst call) | jitter buffer mean / max (ms) | generator late ticks | sustained |"
echo "|---|---|---|---|---|---|---|---|"
for kind in $kinds; do
  for n in $sizes; do
    port=$(pl_free_port)
    start_server $kind $port
    line=$(taskset -c 1 "$gen" --connect 127.0.0.1:$port --calls $n --seconds $secs \
             --server-pid $spid 2>"$out/gen.err" || true)
    [ -s "$out/gen.err" ] && sed 's/^/    generator: /' "$out/gen.err" | sort | uniq -c | head -3 >&2
    # aiortc may hang in its shutdown: a few seconds, then SIGKILL.
    kill -INT $spid 2>/dev/null || true
    for _ in $(seq 30); do kill -0 $spid 2>/dev/null || break; sleep 0.1; done
    kill -9 $spid 2>/dev/null || true
    wait $spid 2>/dev/null || true
    spid=
    sleep 1
    /usr/bin/python3 - "$kind" "$n" "$line" <<'PY'
import json, sys
kind, n, line = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    r = json.loads(line)
except ValueError:
    print("| %s | %d | - | - | - | - | - | no (the generator failed) |" % (kind, n))
    sys.exit()
ok = (r["connected"] == n and r["concealedShare"] < 0.005 and r["worstCallConcealedShare"] < 0.02
      and r["jitterBufferDelayMeanMs"] < 50
      and r["generatorLateTicks"] <= 0.005 * r["generatorTicks"] and 0 <= r["serverCpuShare"] < 0.95)
print("| %s | %d | %.2f | %.2f %% | %.2f %% / %.2f %% | %.0f / %.0f | %d | %s |" % (
    kind, n, r["serverCpuShare"], 100 * r["serverCpuShare"] / n, 100 * r["concealedShare"],
    100 * r["worstCallConcealedShare"], r["jitterBufferDelayMeanMs"], r["jitterBufferDelayMaxMs"],
    r["generatorLateTicks"], "yes" if ok else "no" + ("" if r["connected"] == n else
    " (%d of %d connected)" % (r["connected"], n))))
PY
  done
done
