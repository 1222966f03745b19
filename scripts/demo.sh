#!/usr/bin/env bash
# `make demo`: a real two-process call on this machine. A listener and a
# caller exchange SDP over HTTP (WHIP-style) and send Opus over SRTP/UDP;
# each records what it hears. Then the received speech is compared with the
# sent speech and the call's quality is summarised.
set -euo pipefail
parley=${1:-build/bin/parley}
root=$(cd "$(dirname "$0")/.." && pwd)
sample="$root/apps/parley/samples/speech_16k.wav"
out=${DEMO_OUT:-$root/out/demo}
port=${DEMO_PORT:-$((20000 + RANDOM % 20000))}
secs=${DEMO_SECONDS:-12}
stages=${DEMO_STAGES:-}
mkdir -p "$out"
rm -f "$out"/*.wav "$out"/*.json

stage_args=()
for s in $stages; do stage_args+=(--stage "$s"); done

echo "== parley demo: two engines, one call over 127.0.0.1:$port for ${secs}s"
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
echo "recordings and stats are in $out"
