#!/usr/bin/env bash
# IPv6 host candidates: the listener has 127.0.0.1 and ::1, the caller only
# ::1 (signalling over IPv4, the media socket on ::1), so the only pairs ICE
# can form are IPv6 ones. Checks the selected pair is [::1] at both ends,
# DTLS-SRTP up, and each side's tone in the other's recording.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
python3 -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null ||
  { echo "SKIP: no IPv6 loopback here"; exit 77; }
dir=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; rm -rf "$dir"' EXIT
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port --ice-host ::1 --tone 440 --record "$dir/rx_listener.wav" \
  --webrtc-json "$dir/listener.json" --duration 20 >"$dir/listener.out" 2>&1 &
lpid=$!
for i in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
"$parley" call --connect 127.0.0.1:$port --bind "[::1]:0" --tone 1000 --record "$dir/rx_caller.wav" \
  --duration 4 --webrtc-json "$dir/caller.json" >"$dir/caller.out" 2>&1 || { cat "$dir/caller.out"; exit 1; }
wait $lpid || { cat "$dir/listener.out"; exit 1; }
lpid=
/usr/bin/python3 - "$dir" <<'PY'
import json, sys, wave
import numpy as np
d = sys.argv[1]
for side, hz_in in (("listener", 1000), ("caller", 440)):
    w = json.load(open("%s/%s.json" % (d, side)))
    print(side, w["localCandidate"], "->", w["remoteCandidate"])
    assert w["localCandidate"].startswith("host [::1]:"), w
    assert w["remoteCandidate"].startswith("host [::1]:"), w
    assert w["dtlsConnectedSeconds"] > 0 and w["packetsReceived"] > 100, w
    wf = wave.open("%s/rx_%s.wav" % (d, side))
    x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
    x = x.reshape(-1, wf.getnchannels())[:, 0][48000:48000 * 3]
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
    print("%s decoded %.1f Hz" % (side, peak))
    assert abs(peak - hz_in) < 3, peak
print("ok: a call over IPv6 host candidates (::1)")
PY
