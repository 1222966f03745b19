#!/usr/bin/env bash
# Headless Chromium calls `parley call --listen` over loopback, from the page
# the engine serves: ICE connects, DTLS completes with both fingerprints
# verified, the engine decodes Chromium's fake microphone (a 400 Hz beep,
# 20 ms every 500 ms: media/audio/simple_sources BeepingSource) and Chromium
# receives and decrypts what the engine sends. The engine sends Opus DRED
# (libopus >= 1.5; in the packets' padding extension, which Chromium's decoder
# must skip) and decodes with deep PLC + NoLACE, as calls do by default. FEC is
# off so that libopus gives DRED its bits at 32 kbit/s (with FEC on it puts
# LBRR first and DRED only from about 20 % expected loss): 299 of 300 packets
# of that encoder setting carry DRED.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
parley=${PARLEY:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
pl_browser_ready "$here"
dir=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill $lpid 2>/dev/null; rm -rf "$dir"' EXIT
port=$(pl_free_port)
"$parley" call --listen 127.0.0.1:$port --loop --record "$dir/rx.wav" --duration 60 --no-fec --dred 100 \
  --stats-json "$dir/engine.json" --webrtc-json "$dir/webrtc.json" >"$dir/parley.out" 2>&1 &
lpid=$!
pl_wait_tcp $port
timeout 90 node "$here/chromium_call.js" "http://127.0.0.1:$port/" "$dir/browser.json" 5 \
  >"$dir/node.out" 2>&1 || { cat "$dir/node.out"; exit 1; }
# The page's DELETE ends the call; the listener writes its JSON and exits.
for i in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
wait $lpid || { cat "$dir/parley.out"; exit 1; }
lpid=
cat "$dir/parley.out"
/usr/bin/python3 - "$dir" <<'PY'
import json, sys, wave
import numpy as np
d = sys.argv[1]
b = json.load(open(d + "/browser.json"))
w = json.load(open(d + "/webrtc.json"))
e = json.load(open(d + "/engine.json"))
assert b["ok"], b
s = b["stats"]
print("chromium:", {k: s.get(k) for k in ("connectionState", "dtlsState", "srtpCipher", "dtlsRole",
      "packetsReceived", "packetsLost", "totalAudioEnergy")})
print("engine:", w)
# Chromium: connected, DTLS done (Chromium checks our fingerprint), audio from us decrypted.
assert b["connectionStateAtConnect"] == "connected", b
assert s["dtlsState"] == "connected" and s["srtpCipher"], s
assert s["packetsReceived"] > 100, s            # 5 s of 20 ms packets
assert s["packetsLost"] == 0, s                  # a packet that fails SRTP counts as lost
assert s["totalAudioEnergy"] > 0.01, s           # our speech played out, not silence
# The engine: ICE selected a pair, DTLS verified Chromium's fingerprint, SRTP clean.
assert w["iceState"] in ("connected", "completed", "closed"), w
assert w["localCandidate"].startswith("host 127.0.0.1:"), w
assert 0 < w["dtlsConnectedSeconds"] < 2, w
assert w["srtpProfile"].startswith("SRTP_"), w
assert w["srtpAuthFailures"] == 0 and w["srtpReplays"] == 0 and w["packetsDropped"] == 0, w
assert e["packetsReceived"] > 100, e
# What the engine decoded: Chromium's fake microphone beeps at 400 Hz.
wf = wave.open(d + "/rx.wav")
x = np.frombuffer(wf.readframes(wf.getnframes()), dtype=np.int16).astype(float) / 32768
x = x.reshape(-1, wf.getnchannels())[:, 0]
x = x[48000:]                                    # past jitter-buffer start-up
frames = x[: len(x) // 480 * 480].reshape(-1, 480)
rms = np.sqrt((frames ** 2).mean(axis=1))
loud = (rms > 0.1).sum()
beeps = ((rms[1:] > 0.1) & (rms[:-1] <= 0.1)).sum()
spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
peak = np.fft.rfftfreq(len(x), 1 / 48000)[np.argmax(spec)]
print("engine decoded: %d loud 10 ms frames, %d beeps, peak %.1f Hz" % (loud, beeps, peak))
assert beeps >= 5, beeps                        # about two a second for 3+ s
assert abs(peak - 400) < 5, peak
print("ok: Chromium <-> parley over ICE + DTLS-SRTP")
PY
