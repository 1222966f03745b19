#!/usr/bin/python3
"""`parley extend` on unusual and bad input: 8, 11.025, 16, 22.05, 44.1 and
48 kHz; 8-bit, 16-bit and float; mono, stereo and 6 channels; silence;
full-scale noise; NaN in a float file; empty, garbage and missing files;
usage errors. Output is 48 kHz, 1 or 2 channels, as long as the input
(resampled), finite and in [-1, 1]; the existing band is the plain
resampling's; a 16 kHz file gets a band above 8 kHz, a 48 kHz full-band one
passes through untouched in auto mode.

    /usr/bin/python3 tests/extend/test_cli.py --parley build/bin/parley"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def write_wav(path, x, rate, fmt="s16"):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    ch = x.shape[1]
    if fmt == "s16":
        data = np.clip(np.round(x * 32768), -32768, 32767).astype("<i2").tobytes()
        tag, bits = 1, 16
    elif fmt == "u8":
        data = np.clip(np.round(x * 128 + 128), 0, 255).astype("u1").tobytes()
        tag, bits = 1, 8
    else:
        data = x.astype("<f4").tobytes()
        tag, bits = 3, 32
    ba = ch * bits // 8
    body = (b"WAVE" + b"fmt " + struct.pack("<I", 16) +
            struct.pack("<HHIIHH", tag, ch, rate, rate * ba, ba, bits) +
            b"data" + struct.pack("<I", len(data)) + data)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def read_wav(path):
    b = open(path, "rb").read()
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack_from("<I", b, pos + 4)[0]
        if cid == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", b, pos + 8)
        elif cid == b"data":
            data = b[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    tag, ch, rate, _, _, bits = fmt
    if tag == 1 and bits == 16:
        x = np.frombuffer(data, "<i2").astype(np.float64) / 32768
    else:
        x = np.frombuffer(data, "<f4").astype(np.float64)
    return x.reshape(-1, ch), rate


def voice(rate, seconds, seed=1):
    """Harmonic voice with pauses, partials up to 0.45 rate (band-limited by the rate)."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.5 * t)
    ph = 2 * np.pi * np.cumsum(f0) / rate
    v = sum(np.sin(h * ph + rng.uniform(0, 6.3)) / h for h in range(1, 200) if h * 175 < 0.45 * rate)
    return 0.08 * v * (0.3 + 0.7 * (np.sin(2 * np.pi * 0.8 * t) > 0))


def band_db(x, lo, hi, rate=48000):
    X = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / rate)
    return 10 * np.log10(X[(f >= lo) & (f < hi)].sum() + 1e-30)


def run(parley, *args):
    return subprocess.run([parley, "extend", "--quiet", *args], capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    a = ap.parse_args()
    P = a.parley
    with tempfile.TemporaryDirectory() as d:
        p = lambda n: os.path.join(d, n)
        # Rates, formats, channel counts.
        for rate, fmt, ch in ((8000, "s16", 1), (11025, "u8", 1), (16000, "s16", 2),
                              (22050, "f32", 1), (44100, "s16", 6), (48000, "f32", 1)):
            x = voice(rate, 2.0)
            if ch > 1:
                x = np.stack([x * (0.5 + 0.1 * c) for c in range(ch)], 1)
            write_wav(p("in.wav"), x, rate, fmt)
            r = run(P, p("in.wav"), p("out.wav"))
            what = f"{rate} Hz {fmt} {ch} ch"
            check(r.returncode == 0, f"{what}: exit 0 ({r.stderr.strip()[:120]})")
            if r.returncode:
                continue
            y, ry = read_wav(p("out.wav"))
            n48 = int(np.ceil(2.0 * 48000))
            check(ry == 48000 and y.shape[1] == min(ch, 2) if ch <= 2 else y.shape[1] == 1,
                  f"{what}: 48 kHz, {y.shape[1]} channel(s)")
            check(abs(len(y) - n48) <= 1, f"{what}: {len(y)} frames for {n48}")
            check(np.all(np.isfinite(y)) and np.abs(y).max() <= 1.0, f"{what}: finite, in [-1, 1]")
            # Against plain resampling: the existing band is the same.
            r2 = run(P, "--method", "none", p("in.wav"), p("none.wav"))
            z, _ = read_wav(p("none.wav"))
            if rate <= 16000:
                lo = rate / 2 - 500
                e_diff = band_db(y[:, 0] - z[:, 0], 100, lo)
                e_in = band_db(z[:, 0], 100, lo)
                e_add = band_db(y[:, 0] - z[:, 0], rate / 2 + 500, 20000)
                check(e_diff < e_in - 50, f"{what}: existing band unchanged ({e_diff - e_in:.1f} dB)")
                check(e_add > e_in - 45, f"{what}: a band above {rate // 2} Hz added ({e_add - e_in:.1f} dB)")
        # A full-band 48 kHz file in auto mode: untouched (16-bit in, 16-bit out).
        t = np.arange(96000) / 48000
        fb = sum(np.sin(2 * np.pi * 150 * k * t + k) / k for k in range(1, 130)) * 0.05
        write_wav(p("fb.wav"), fb, 48000, "s16")
        r = run(P, "--auto", p("fb.wav"), p("fbo.wav"))
        y, _ = read_wav(p("fbo.wav"))
        xin, _ = read_wav(p("fb.wav"))
        check(r.returncode == 0 and np.array_equal(y, xin), "48 kHz full band, --auto: sample-exact copy")
        # Silence, full-scale noise, NaN.
        write_wav(p("sil.wav"), np.zeros(16000), 16000, "s16")
        r = run(P, p("sil.wav"), p("o.wav"))
        y, _ = read_wav(p("o.wav"))
        check(r.returncode == 0 and np.abs(y).max() == 0.0, "silence stays silent")
        noise = np.sign(np.random.default_rng(3).standard_normal(32000))
        write_wav(p("noise.wav"), noise, 16000, "f32")
        r = run(P, p("noise.wav"), p("o.wav"))
        y, _ = read_wav(p("o.wav"))
        check(r.returncode == 0 and np.all(np.isfinite(y)) and np.abs(y).max() <= 1.0,
              "full-scale noise: finite, in [-1, 1]")
        x = voice(16000, 1.0)
        x[100] = np.nan
        x[200] = np.inf
        write_wav(p("nan.wav"), x, 16000, "f32")
        r = run(P, p("nan.wav"), p("o.wav"))
        y, _ = read_wav(p("o.wav"))
        check(r.returncode == 0 and np.all(np.isfinite(y)), "NaN/Inf in a float WAV: read as 0, finite out")
        check("NaN/Inf" in subprocess.run([P, "extend", p("nan.wav"), p("o.wav")], capture_output=True,
                                          text=True).stderr, "NaN/Inf: a note on stderr")
        # Empty, garbage, missing, usage.
        write_wav(p("empty.wav"), np.zeros(0), 16000, "s16")
        r = run(P, p("empty.wav"), p("o.wav"))
        y, _ = read_wav(p("o.wav")) if r.returncode == 0 else (np.zeros((1, 1)), 0)
        check(r.returncode == 0 and len(y) == 0, "empty WAV: empty 48 kHz WAV")
        open(p("junk.wav"), "wb").write(b"not a wav at all" * 10)
        r = run(P, p("junk.wav"), p("o.wav"))
        check(r.returncode == 1 and "junk.wav" in r.stderr, f"garbage: exit 1 with the name ({r.stderr.strip()[:80]})")
        r = run(P, p("missing.wav"), p("o.wav"))
        check(r.returncode == 1, "missing file: exit 1")
        r = run(P, p("fb.wav"))
        check(r.returncode == 2, "one argument: usage, exit 2")
        r = run(P, "--cutoff", "9000", p("fb.wav"), p("o.wav"))
        check(r.returncode == 2 and "cutoff" in r.stderr, "--cutoff 9000: refused, exit 2")
        r = run(P, "--method", "magic", p("fb.wav"), p("o.wav"))
        check(r.returncode == 2, "--method magic: exit 2")
        r = run(P, "--method", "fold", p("fb.wav"), p("o.wav"))
        check(r.returncode == 2 and "cutoff" in r.stderr, "--method fold on 48 kHz without --cutoff: exit 2")
    print(f"{'FAIL' if FAILS else 'ok'}: {len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
