#!/usr/bin/env bash
# TURN over TLS (turns:) to coturn on loopback, with a certificate made here
# (P-256, subjectAltName IP:127.0.0.1): two `parley call --ice-relay-only
# --turn turns:... --turn-ca cert.pem` connect relay/relay with tones both
# ways; a caller that does not trust that certificate (no --turn-ca: the
# system's CAs) fails the handshake and says so.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
command -v turnserver >/dev/null || { echo "turnserver missing (coturn): scripts/install-deps.sh test"; exit 1; }
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
dir=$(mktemp -d)
tpid= lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; [ -n "$tpid" ] && kill $tpid 2>/dev/null; rm -rf "$dir"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" -subj "/CN=parley-turn-test" \
  -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
tport=$(pl_free_port)
tlsport=$(pl_free_port)
cat >"$dir/turn.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$tport
tls-listening-port=$tlsport
relay-ip=127.0.0.1
min-port=49152
max-port=49400
lt-cred-mech
user=alice:s3cret
realm=parley.test
allow-loopback-peers
cert=$dir/cert.pem
pkey=$dir/key.pem
no-dtls
no-cli
simple-log
log-file=$dir/turn.log
pidfile=$dir/turn.pid
CONF
turnserver -c "$dir/turn.conf" >"$dir/turn.out" 2>&1 &
tpid=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$tlsport) 2>/dev/null && break; sleep 0.1; done
turn="--ice-relay-only --turn turns:alice:s3cret@127.0.0.1:$tlsport"
# The untrusted case first, against a listener of its own.
wport=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$wport $turn --turn-ca "$dir/cert.pem" --duration 4 \
  >"$dir/wlistener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$wport) 2>/dev/null && break; sleep 0.1; done
set +e
"$parley" call --connect 127.0.0.1:$wport $turn --duration 2 >"$dir/untrusted.out" 2>&1
wrc=$?
set -e
kill $lpid 2>/dev/null || true; wait $lpid 2>/dev/null || true
lpid=
cat "$dir/untrusted.out" | grep -i "tls" || true
[ $wrc -ne 0 ] || { echo "FAIL: an untrusted TURN server was used"; exit 1; }
grep -q "TLS handshake: .*certificate" "$dir/untrusted.out" ||
  { cat "$dir/untrusted.out"; echo "FAIL: no clear TLS message"; exit 1; }
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port $turn --turn-ca "$dir/cert.pem" --tone 440 \
  --record "$dir/rx_listener.wav" --webrtc-json "$dir/listener.json" --duration 30 \
  >"$dir/listener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
"$parley" call --connect 127.0.0.1:$port $turn --turn-ca "$dir/cert.pem" --tone 1000 \
  --record "$dir/rx_caller.wav" --duration 4 --webrtc-json "$dir/caller.json" \
  >"$dir/caller.out" 2>&1 || { cat "$dir/caller.out"; exit 1; }
wait $lpid || { cat "$dir/listener.out"; exit 1; }
lpid=
/usr/bin/python3 - "$dir" <<'PY'
import json, sys, wave
import numpy as np
d = sys.argv[1]
for side, hz_in in (("listener", 1000), ("caller", 440)):
    w = json.load(open("%s/%s.json" % (d, side)))
    print(side, w["localCandidate"], "->", w["remoteCandidate"], "relayed", w["turnBytesSent"],
          "/", w["turnBytesReceived"], "bytes")
    assert w["localCandidateType"] == "relay" and w["remoteCandidateType"] == "relay", w
    assert w["turnAllocations"] == 1 and w["turnBytesReceived"] > 10000, w
    wf = wave.open("%s/rx_%s.wav" % (d, side))
    x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
    x = x.reshape(-1, wf.getnchannels())[:, 0][48000:48000 * 3]
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
    assert abs(peak - hz_in) < 3, peak
print("ok: TURN over TLS to coturn, relay/relay; an untrusted server is refused")
PY
