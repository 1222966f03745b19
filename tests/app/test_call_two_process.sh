#!/usr/bin/env bash
# Two `parley call` processes on loopback: WHIP-style signaling over HTTP,
# Opus over SRTP/UDP. What the listener records must be the caller's speech.
#
# The figures: Opus at 32 kbit/s (VOIP, 20 ms) on this sample scores STOI
# 0.995 and an aligned waveform correlation of 0.954 when encoded and decoded
# offline (ffmpeg's libopus, measured 2026-11-28); our call on loopback
# measured STOI 0.990 and correlation 0.947. The jitter buffer may still
# stretch or drop audio to adapt on a loaded machine, which breaks the
# single-delay alignment the correlation uses, so we ask for STOI >= 0.97
# and correlation >= 0.85; a broken path (wrong keys, lost packets, wrong
# rate, garbled channels) scores far below both.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
sample=$PL_SOURCE_DIR/apps/parley/samples/speech_16k.wav
dir=$(mktemp -d)
trap 'kill $lpid 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port --record "$dir/rx.wav" --quiet \
  --stats-json "$dir/listener.json" >"$dir/listener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
"$parley" call --connect 127.0.0.1:$port --send "$sample" --duration 8 --quiet \
  --stats-json "$dir/caller.json" >"$dir/caller.out" 2>&1
wait $lpid
cat "$dir/caller.out"
json=$("$parley" metrics --json "$sample" "$dir/rx.wav" 2>/dev/null)
echo "$json"
/usr/bin/python3 - "$dir/listener.json" "$dir/caller.json" <<PY
import json, sys
m = json.loads('''$json''')
l = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
assert m["stoi"] >= 0.97, ("STOI", m["stoi"])
# A jitter buffer that had to stretch (a loaded machine delays packets)
# shifts the timeline, which one alignment cannot follow; the correlation
# figure holds only for a call that played its packets as they came.
stretched = l["insertedSamplesForDeceleration"] + l["removedSamplesForAcceleration"]
if stretched == 0:
    assert m["align_peak"] >= 0.85, ("correlation", m["align_peak"])
else:
    print("jitter buffer stretched %d samples: correlation %.3f not asserted" % (stretched, m["align_peak"]))
assert 0 < m["delay_ms"] < 300, ("delay", m["delay_ms"])
# Both sides saw the whole call, with nothing lost or forged on loopback.
for s in (l, c):
    assert s["packetsReceived"] >= 350, s["packetsReceived"]
    assert s["packetsLost"] == 0 and s["srtpAuthFailures"] == 0, s
    # Nothing refused and nothing unsent: the caller's DTLS close_notify
    # after its BYE is the closing handshake, not a dropped packet.
    assert s["packetsDropped"] == 0 and s["packetsSendFailed"] == 0, s
    assert s["roundTripTime"] > 0, s["roundTripTime"]
print("ok: STOI %.4f, correlation %.3f, delay %.1f ms" % (m["stoi"], m["align_peak"], m["delay_ms"]))
PY
