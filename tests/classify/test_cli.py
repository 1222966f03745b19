"""`parley classify` on files of every kind: per-second labels at 8/16/44.1/
48/96 kHz, stereo, 16-bit and float WAVs; --frames CSV with one row per
10 ms; a partial last second; an empty WAV; garbage, a missing file and bad
usage give clear errors and exit codes.

    /usr/bin/python3 tests/classify/test_cli.py --parley build/bin/parley"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np


def wav(path, x, rate, fmt="s16"):
    """x: [frames, channels] float in [-1, 1]."""
    x = np.atleast_2d(x.T).T if x.ndim == 1 else x
    ch = x.shape[1]
    if fmt == "s16":
        data = np.round(np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
        tag, bits = 1, 16
    else:
        data = x.astype("<f4").tobytes()
        tag, bits = 3, 32
    ba = ch * bits // 8
    hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, tag, ch, rate, rate * ba, ba, bits) + b"data" + struct.pack("<I", len(data))
    with open(path, "wb") as f:
        f.write(hdr + data)


def run(parley, *args):
    r = subprocess.run([parley, "classify", *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return r.returncode, r.stdout, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    a = ap.parse_args()
    fails = []

    def check(cond, what):
        print(("PASS " if cond else "FAIL ") + what)
        if not cond:
            fails.append(what)

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        for rate, ch, fmt, secs in ((8000, 1, "s16", 3.0), (16000, 2, "s16", 2.5),
                                    (44100, 1, "f32", 2.0), (48000, 2, "f32", 3.0),
                                    (96000, 1, "s16", 2.0)):
            p = os.path.join(tmp, f"n{rate}.wav")
            x = 0.05 * rng.standard_normal((int(rate * secs), ch))
            wav(p, x, rate, fmt)
            rc, out, err = run(a.parley, p)
            lines = out.strip().split("\n")
            want = int(np.ceil(secs))
            ok = rc == 0 and lines[0].split() == ["time_s", "label", "p_speech", "p_music", "p_other"] \
                and len(lines) == 1 + want
            rows = [l.split() for l in lines[1:]]
            ok = ok and all(r[1] in ("speech", "music", "other") and
                            abs(sum(float(v) for v in r[2:]) - 1) < 0.01 for r in rows)
            # White noise is neither speech nor music once the state settles.
            ok = ok and all(r[1] == "other" for r in rows[1:])
            check(ok, f"{rate} Hz, {ch} ch, {fmt}, {secs} s: {want} labelled seconds, noise is other"
                  + ("" if ok else f" (rc {rc}: {out!r} {err!r})"))
        p = os.path.join(tmp, "n48000.wav")
        csv = os.path.join(tmp, "frames.csv")
        rc, out, err = run(a.parley, "--frames", csv, p)
        rows = open(csv).read().strip().split("\n") if rc == 0 else []
        check(rc == 0 and rows[0] == "time_s,p_speech,p_music,p_other" and len(rows) == 1 + 300,
              f"--frames writes one row per 10 ms ({len(rows) - 1} rows)")
        e = os.path.join(tmp, "empty.wav")
        wav(e, np.zeros((0, 1)), 48000)
        rc, out, err = run(a.parley, e)
        check(rc == 0 and out.strip() == "time_s label p_speech p_music p_other",
              "an empty WAV: header only, exit 0")
        g = os.path.join(tmp, "garbage.wav")
        with open(g, "wb") as f:
            f.write(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
        rc, out, err = run(a.parley, g)
        check(rc == 1 and "parley classify:" in err and "garbage.wav" in err,
              f"garbage: exit 1 and says why ({err.strip()})")
        rc, out, err = run(a.parley, os.path.join(tmp, "missing.wav"))
        check(rc == 1 and "missing.wav" in err, f"missing file: exit 1 ({err.strip()})")
        rc, out, err = run(a.parley)
        check(rc == 2 and "usage" in err, "no file: usage, exit 2")
        rc, out, err = run(a.parley, "--model", os.path.join(os.path.dirname(os.path.abspath(
            __file__)), "..", "..", "ai", "models", "denoise.plmd"), p)
        check(rc == 1 and "classify" in err, f"a model of another kind is refused ({err.strip()})")
    print(f"{'FAIL' if fails else 'PASS'}: {len(fails)} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
