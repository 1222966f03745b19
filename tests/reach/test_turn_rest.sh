#!/usr/bin/env bash
# TURN REST-API credentials against coturn's use-auth-secret, on loopback:
# two `parley call --ice-relay-only --turn turn:USER@... --turn-secret S`
# connect relay/relay with tones both ways; a caller with the wrong secret
# is refused by coturn (401 after the authenticated Allocate), has no
# candidate at all, and says so: "TURN 401: credentials refused".
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
command -v turnserver >/dev/null || { echo "turnserver missing (coturn): scripts/install-deps.sh test"; exit 1; }
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
use-auth-secret
static-auth-secret=north-wind-7
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
turn="--ice-relay-only --turn turn:alice@127.0.0.1:$tport"
wport=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$wport $turn --turn-secret north-wind-7 --duration 4 \
  >"$dir/wlistener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$wport) 2>/dev/null && break; sleep 0.1; done
set +e
"$parley" call --connect 127.0.0.1:$wport $turn --turn-secret wrong --duration 2 \
  --webrtc-json "$dir/wrong.json" >"$dir/wrong.out" 2>&1
wrc=$?
set -e
[ $wrc -ne 0 ] || { echo "FAIL: a wrong secret connected"; exit 1; }
kill $lpid 2>/dev/null || true; wait $lpid 2>/dev/null || true
lpid=
"$parley" call --listen 127.0.0.1:$port $turn --turn-secret north-wind-7 --tone 440 \
  --record "$dir/rx_listener.wav" --webrtc-json "$dir/listener.json" --duration 30 \
  >"$dir/listener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
"$parley" call --connect 127.0.0.1:$port $turn --turn-secret north-wind-7 --tone 1000 \
  --record "$dir/rx_caller.wav" --duration 4 --webrtc-json "$dir/caller.json" \
  >"$dir/caller.out" 2>&1 || { cat "$dir/caller.out"; exit 1; }
wait $lpid || { cat "$dir/listener.out"; exit 1; }
lpid=
grep -i "turn" "$dir/wrong.out" || true
/usr/bin/python3 - "$dir" <<'PY'
import json, sys, wave
import numpy as np
d = sys.argv[1]
out = open(d + "/wrong.out").read()
assert "TURN 401: credentials refused" in out, out
for side, hz_in in (("listener", 1000), ("caller", 440)):
    w = json.load(open("%s/%s.json" % (d, side)))
    print(side, w["localCandidate"], "->", w["remoteCandidate"], "allocations", w["turnAllocations"])
    assert w["localCandidateType"] == "relay" and w["remoteCandidateType"] == "relay", w
    assert w["turnAllocations"] == 1 and w["packetsReceived"] > 100, w
    wf = wave.open("%s/rx_%s.wav" % (d, side))
    x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
    x = x.reshape(-1, wf.getnchannels())[:, 0][48000:48000 * 3]
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
    assert abs(peak - hz_in) < 3, peak
print("ok: REST-API credentials accepted by coturn; a wrong secret is named as such")
PY
