#!/usr/bin/env python3
"""Checks one interop call both ways, from what each side left in DIR:

  check_call.py DIR ENGINE_HZ PEER_HZ SECONDS

  DIR/engine.json  the engine's --stats-json     DIR/rx.wav       what it decoded
  DIR/peer.json    the peer's counters           DIR/peer-rx.wav  what the peer decoded

Each side must have received RTP, and decoded the other's sine: loud (RMS
above -26 dBFS; the tones are sent at -10.5 dBFS) for most of the SECONDS
the call lasted, with the spectral peak within 5 Hz of the tone sent.
Prints one line per direction; exit 1 with the reason on failure.
"""
import json
import sys
import wave

import numpy as np


def audio(path, hz, seconds, who):
    w = wave.open(path)
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(float) / 32768
    x = x.reshape(-1, w.getnchannels())[:, 0]
    rate = w.getframerate()
    hop = rate // 100
    frames = x[: len(x) // hop * hop].reshape(-1, hop)
    rms = np.sqrt((frames ** 2).mean(axis=1)) if len(frames) else np.zeros(0)
    loud_s = (rms > 0.05).sum() / 100
    peak = 0.0
    if len(x) > rate // 2:
        y = x[rate // 4:]  # past start-up
        spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
        peak = np.fft.rfftfreq(len(y), 1 / rate)[np.argmax(spec)]
    print("%s decoded %.2f s, %.2f s loud, peak %.1f Hz (sent %g Hz)"
          % (who, len(x) / rate, loud_s, peak, hz))
    problems = []
    if loud_s < 0.6 * seconds:
        problems.append("%s: only %.2f s of %g s loud" % (who, loud_s, seconds))
    if abs(peak - hz) > 5:
        problems.append("%s: peak %.1f Hz, not %g" % (who, peak, hz))
    return problems


def main():
    d, engine_hz, peer_hz, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    problems = []
    e = json.load(open(d + "/engine.json"))
    p = json.load(open(d + "/peer.json"))
    want = 50 * seconds * 0.6  # 20 ms packets for most of the call
    print("engine: %d packets received; peer: %d received, states %s"
          % (e.get("packetsReceived", 0), p.get("packetsReceived", 0), p.get("states")))
    if e.get("packetsReceived", 0) < want:
        problems.append("engine received %s packets, want >= %d" % (e.get("packetsReceived"), want))
    if p.get("packetsReceived", 0) < want:
        problems.append("peer received %s packets, want >= %d" % (p.get("packetsReceived"), want))
    problems += audio(d + "/rx.wav", peer_hz, seconds, "engine")
    problems += audio(d + "/peer-rx.wav", engine_hz, seconds, "peer")
    for m in problems:
        print("FAIL:", m)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
