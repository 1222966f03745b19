#!/usr/bin/python3
"""A whole call at 12 kbit/s (libopus sends wideband) with the `extend`
stage off and in auto mode, libopus 1.6's own extension off: on a full-band
test signal (voiced harmonics to 5 kHz and fricative noise to 20 kHz, made
here), the far end's LSD against the full-band input must drop, STOI must
not, and the stage adds its 10 ms. With libopus's extension on (a call's
default where built), the decoder restores the band of wideband SILK itself
and the stage must stay out of the way: no second band (LSD within 0.2 dB of
the stage off), no added delay.

    /usr/bin/python3 tests/extend/test_loopback.py --parley build/bin/parley"""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np


def signal(path, sr=48000, secs=12, seed=5):
    rng = np.random.default_rng(seed)
    n = sr * secs
    t = np.arange(n) / sr
    ph = 2 * np.pi * np.cumsum(120 + 40 * np.sin(2 * np.pi * 0.37 * t)) / sr
    v = sum(np.sin(k * ph) / k ** 1.2 for k in range(1, 40))
    syl = (np.sin(2 * np.pi * 2.1 * t) > -0.2).astype(float)
    F = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sr)
    fric = np.fft.irfft(F * (f > 3000) * np.exp(-(f - 6000) / 8000.0), n)
    fz = (np.sin(2 * np.pi * 0.9 * t + 1) > 0.7).astype(float)
    x = 0.05 * v * syl * (1 - fz) + 0.03 * fric * fz / np.std(fric)
    x = x / np.abs(x).max() * 0.5
    data = np.clip(np.round(x * 32768), -32768, 32767).astype("<i2").tobytes()
    body = (b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sr, sr * 2, 2, 16) +
            b"data" + struct.pack("<I", len(data)) + data)
    with open(path, "wb") as fh:
        fh.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def run(parley, wav, mode, out, opus_bwe="off"):
    r = subprocess.run([parley, "loopback", "--send", wav, "--bitrate", "12000", "--duration", "12",
                        "--stage", f"extend={mode}", "--opus-bwe", opus_bwe, "--out", out],
                       capture_output=True, text=True)
    m = re.search(r"A->B.*delay\s+([\d.]+) ms\s+STOI ([\d.]+).*LSD\s+([\d.]+) dB", r.stdout + r.stderr)
    assert r.returncode == 0 and m, r.stdout + r.stderr
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        wav = os.path.join(d, "fb.wav")
        signal(wav)
        d0, s0, l0 = run(a.parley, wav, "off", os.path.join(d, "off"))
        d1, s1, l1 = run(a.parley, wav, "auto", os.path.join(d, "auto"))
        has_bwe = "--opus-bwe" in subprocess.run([a.parley, "loopback", "--help"],
                                                 capture_output=True, text=True).stderr
        if has_bwe:
            b0 = run(a.parley, wav, "off", os.path.join(d, "boff"), "on")
            b1 = run(a.parley, wav, "auto", os.path.join(d, "bauto"), "on")
    print(f"extend off:  delay {d0:.1f} ms  STOI {s0:.4f}  LSD {l0:.2f} dB")
    print(f"extend auto: delay {d1:.1f} ms  STOI {s1:.4f}  LSD {l1:.2f} dB")
    fails = []
    if has_bwe:
        print(f"with libopus's BWE, extend off:  delay {b0[0]:.1f} ms  STOI {b0[1]:.4f}  LSD {b0[2]:.2f} dB")
        print(f"with libopus's BWE, extend auto: delay {b1[0]:.1f} ms  STOI {b1[1]:.4f}  LSD {b1[2]:.2f} dB")
        if not abs(b1[2] - b0[2]) <= 0.2:
            fails.append(f"with libopus's BWE the stage moved LSD {b0[2]:.2f} -> {b1[2]:.2f}")
        if not b1[0] - b0[0] < 1.0:
            fails.append(f"with libopus's BWE the stage kept its delay ({b1[0] - b0[0]:.1f} ms)")
    if not l1 < l0 - 1.0:
        fails.append(f"LSD {l1:.2f} not 1 dB under {l0:.2f}")
    if not s1 >= s0 - 0.002:
        fails.append(f"STOI fell: {s1:.4f} < {s0:.4f}")
    if not 8.0 <= d1 - d0 <= 12.0:
        fails.append(f"delay grew by {d1 - d0:.1f} ms, not 10")
    print("FAIL: " + "; ".join(fails) if fails else "ok")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
