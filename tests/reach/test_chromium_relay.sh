#!/usr/bin/env bash
# Headless Chromium with iceTransportPolicy 'relay' calls `parley call
# --listen --ice-relay-only` through coturn (started here on loopback with
# long-term credentials and loopback peers allowed): both ends offer only
# relayed candidates, so every packet crosses coturn twice. Checks that the
# selected pair is relay/relay on both sides, that the engine allocated
# and relayed, that Chromium played the engine's audio and the engine
# decoded Chromium's fake microphone (400 Hz beeps).
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../interop/lib.sh"
command -v turnserver >/dev/null || { echo "turnserver missing (coturn): scripts/install-deps.sh test"; exit 1; }
pl_browser_ready "$here/../interop"
export NODE_PATH="$here/../interop/node_modules"
dir=$(mktemp -d)
tpid= lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; [ -n "$tpid" ] && kill $tpid 2>/dev/null; rm -rf "$dir"' EXIT
tport=$(pl_free_port)
port=$(pl_free_port)
cat >"$dir/turn.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$tport
relay-ip=127.0.0.1
min-port=49152
max-port=49400
lt-cred-mech
user=alice:s3cret
realm=parley.test
allow-loopback-peers
no-tls
no-dtls
no-cli
simple-log
log-file=$dir/turn.log
pidfile=$dir/turn.pid
CONF
turnserver -c "$dir/turn.conf" >"$dir/turn.out" 2>&1 &
tpid=$!
sleep 0.5
"$parley" call --listen 127.0.0.1:$port --turn turn:alice:s3cret@127.0.0.1:$tport --ice-relay-only \
  --loop --record "$dir/rx.wav" --duration 60 --webrtc-json "$dir/webrtc.json" \
  >"$dir/parley.out" 2>&1 &
lpid=$!
pl_wait_tcp $port
rtc="{\"iceTransportPolicy\":\"relay\",\"iceServers\":[{\"urls\":\"turn:127.0.0.1:$tport\",\"username\":\"alice\",\"credential\":\"s3cret\"}]}"
timeout 90 node "$here/chromium_relay.js" "http://127.0.0.1:$port/" "$dir/browser.json" 5 "$rtc" \
  >"$dir/node.out" 2>&1 || { cat "$dir/node.out"; exit 1; }
for i in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
wait $lpid || { cat "$dir/parley.out"; exit 1; }
lpid=
grep -v '^  ' "$dir/parley.out" | tail -5
/usr/bin/python3 - "$dir" <<'PY'
import json, sys, wave
import numpy as np
d = sys.argv[1]
b = json.load(open(d + "/browser.json"))
w = json.load(open(d + "/webrtc.json"))
assert b["ok"], b
s = b["stats"]
print("chromium:", {k: s.get(k) for k in ("connectionState", "localCandidateType",
      "remoteCandidateType", "packetsReceived", "packetsLost", "totalAudioEnergy")})
print("engine:", {k: w[k] for k in ("localCandidate", "remoteCandidate", "turnAllocations",
      "turnBytesSent", "turnBytesReceived", "packetsReceived")})
assert b["connectionStateAtConnect"] == "connected", b
assert s["localCandidateType"] == "relay" and s["remoteCandidateType"] == "relay", s
assert s["packetsReceived"] > 100 and s["totalAudioEnergy"] > 0.01, s
assert w["localCandidateType"] == "relay" and w["remoteCandidateType"] == "relay", w
assert w["turnAllocations"] == 1 and w["turnBytesReceived"] > 10000, w
assert w["srtpAuthFailures"] == 0 and w["packetsReceived"] > 100, w
wf = wave.open(d + "/rx.wav")
x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
x = x.reshape(-1, wf.getnchannels())[:, 0][48000:]
spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
print("engine decoded Chromium's beep at %.1f Hz" % peak)
assert abs(peak - 400) < 5, peak
print("ok: Chromium relay-only <-> parley relay-only through coturn")
PY
