#!/usr/bin/env bash
# Two `parley call` processes with ICE over two host addresses each
# (127.0.0.1 and 127.0.0.2, the caller's first socket on .2, the listener's
# on .1) and coturn, started here on loopback as a STUN-only server, for
# server-reflexive gathering; signaling is WHIP with PATCH trickle. Checks
# that both engines asked coturn and got their mapped address, that every
# host address was signalled, that the pair ICE selected carries DTLS-SRTP
# and each side's tone, and that nothing failed authentication.
#
# On loopback there is no NAT: the address coturn maps is the host address
# itself, so the server-reflexive candidate is redundant with its host and is
# not signalled (RFC 8445 5.1.3); the test asserts exactly that.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
command -v turnserver >/dev/null || { echo "turnserver missing (coturn): scripts/install-deps.sh test"; exit 1; }
dir=$(mktemp -d)
tpid= lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; [ -n "$tpid" ] && kill $tpid 2>/dev/null; rm -rf "$dir"' EXIT
stun=$(pl_free_port)
port=$((stun + 1))
cat >"$dir/turnserver.conf" <<CONF
listening-ip=127.0.0.1
listening-port=$stun
stun-only
no-tls
no-dtls
no-cli
no-auth
no-stdout-log
simple-log
log-file=$dir/turnserver.log
pidfile=$dir/turnserver.pid
CONF
turnserver -c "$dir/turnserver.conf" >"$dir/turnserver.out" 2>&1 &
tpid=$!
# Ready when it answers a Binding request (RFC 8489: type 0x0001, cookie).
/usr/bin/python3 - $stun <<'PY' || { echo "coturn did not answer"; cat "$dir/turnserver.out" "$dir/turnserver.log"; exit 1; }
import os, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
req = struct.pack(">HHI", 1, 0, 0x2112A442) + os.urandom(12)
for _ in range(50):
    s.sendto(req, ("127.0.0.1", int(sys.argv[1])))
    try:
        r = s.recv(1500)
        if r[:2] == b"\x01\x01" and r[8:20] == req[8:20]:
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
"$parley" call --listen 127.0.0.1:$port --ice-host 127.0.0.2 --stun-server 127.0.0.1:$stun \
  --tone 440 --record "$dir/rx_listener.wav" --webrtc-json "$dir/listener.json" --duration 60 \
  >"$dir/listener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
"$parley" call --connect 127.0.0.1:$port --bind 127.0.0.2:0 --ice-host 127.0.0.1 \
  --stun-server 127.0.0.1:$stun --tone 1000 --record "$dir/rx_caller.wav" --duration 5 \
  --webrtc-json "$dir/caller.json" >"$dir/caller.out" 2>&1 || { cat "$dir/caller.out"; exit 1; }
wait $lpid || { cat "$dir/listener.out"; exit 1; }
lpid=
cat "$dir/caller.out"
/usr/bin/python3 - "$dir" <<'PY'
import json, sys, wave
import numpy as np
d = sys.argv[1]
for side, hz_in in (("listener", 1000), ("caller", 440)):
    w = json.load(open("%s/%s.json" % (d, side)))
    print(side, w)
    assert w["dtlsConnectedSeconds"] > 0, w
    assert w["srtpProfile"].startswith("SRTP_"), w
    assert w["localCandidate"].startswith("host 127.0.0."), w
    assert w["remoteCandidate"].split()[1].startswith("127.0.0."), w
    assert w["localCandidates"] == 2, w          # one per host address, srflx redundant
    assert w["remoteCandidates"] >= 2, w         # the peer's two, in the SDP or trickled
    ip = w["stunMapped"].rsplit(":", 1)[0]
    assert ip in ("127.0.0.1", "127.0.0.2"), w   # coturn answered: we are seen as a host
    assert w["srflxCandidates"] == 0, w
    assert w["stunBadIntegrity"] == 0 and w["srtpAuthFailures"] == 0, w
    assert w["packetsReceived"] > 150, w
    wf = wave.open("%s/rx_%s.wav" % (d, side))
    x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
    x = x.reshape(-1, wf.getnchannels())[:, 0][48000:48000 * 4]
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
    print("%s decoded %.1f Hz, rms %.3f" % (side, peak, np.sqrt((x ** 2).mean())))
    assert abs(peak - hz_in) < 3, peak
print("ok: two engines over two host addresses, STUN via coturn, DTLS-SRTP")
PY
