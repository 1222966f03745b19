#!/usr/bin/env bash
# `make demo`: a real two-process call on this machine. A listener and a
# caller exchange SDP over HTTP (WHIP-style) and send Opus over SRTP/UDP;
# each records what it hears, with the AI stages on (noise suppression on
# the send side, neural concealment on the receive side). Then the received
# speech is compared with the sent speech and the call's quality is
# summarised; last, the loopback lab shows what the AI stages buy on a
# noisy talker over a bursty-loss network (same seed, stages off and on).
set -euo pipefail
. "$(dirname "$0")/../tests/lib/port.sh"
parley=${1:-build/bin/parley}
root=$(cd "$(dirname "$0")/.." && pwd)
sample="$root/apps/parley/samples/speech_16k.wav"
out=${DEMO_OUT:-$root/out/demo}
port=${DEMO_PORT:-$(pl_free_port)}
secs=${DEMO_SECONDS:-12}
stages=${DEMO_STAGES-denoise=on plc=on}
mkdir -p "$out"
rm -f "$out"/*.wav "$out"/*.json

stage_args=()
for s in $stages; do stage_args+=(--stage "$s"); done

echo "== parley demo: two engines, one call over 127.0.0.1:$port for ${secs}s${stages:+ (stages: $stages)}"
("$parley" call --listen "127.0.0.1:$port" --record "$out/listener_rx.wav" --send "$sample" \
  --loop --quiet --stats-json "$out/listener_stats.json" "${stage_args[@]}" |
  sed 's/^/listener: /') &
listener=$!
trap 'kill $listener 2>/dev/null || true' EXIT
sleep 0.5
"$parley" call --connect "127.0.0.1:$port" --send "$sample" --loop --record "$out/caller_rx.wav" \
  --duration "$secs" --stats-json "$out/caller_stats.json" "${stage_args[@]}" \
  | sed 's/^/caller: /'
wait $listener || true
trap - EXIT

echo
echo "== what the listener heard vs what the caller sent"
"$parley" metrics "$sample" "$out/listener_rx.wav" | sed 's/^/  /'
echo
echo "== the AI stages in the loopback lab: pink noise at 5 dB SNR, 20 % bursty loss"
for st in off on; do
  echo "  AI stages $st:"
  "$parley" loopback --net burst-20 --noise pink --snr 5 --duration 20 --quiet \
    --stage denoise=$st --stage plc=$st --out "$out/lab_$st" | grep -A1 "A->B" | sed 's/^/  /'
done
echo
echo "recordings and stats are in $out (lab reports: $out/lab_off/report.html, $out/lab_on/report.html)"
