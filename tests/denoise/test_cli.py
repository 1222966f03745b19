"""`parley denoise` on bad and unusual input: silence, full-scale clipping,
NaN/Inf in float WAVs, 8 and 96 kHz, stereo, empty files, garbage, missing
files, unsupported rates, usage errors; output keeps rate, channels, format
and length, is time-aligned with the input and finite; --vad and --speex.

    /usr/bin/python3 tests/denoise/test_cli.py --parley build/bin/parley"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("FAIL: numpy is needed (python3-numpy)")
    sys.exit(1)

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def write_wav(path, x, rate, fmt="s16"):
    """x: (frames, channels) float."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    ch = x.shape[1]
    if fmt == "s16":
        data = np.clip(np.round(x * 32768), -32768, 32767).astype("<i2").tobytes()
        tag, bits = 1, 16
    else:
        data = x.astype("<f4").tobytes()
        tag, bits = 3, 32
    ba = ch * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", tag, ch, rate, rate * ba, ba, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + \
        struct.pack("<I", len(data)) + data
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def read_wav(path):
    b = open(path, "rb").read()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", "not a WAV"
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
        kind = "s16"
    elif tag == 3 and bits == 32:
        x = np.frombuffer(data, "<f4").astype(np.float64)
        kind = "f32"
    else:
        raise ValueError(f"format {tag}/{bits}")
    return x.reshape(-1, ch), rate, kind


def voice(rate, seconds, seed=1, snr_db=5.0):
    """A harmonic 'voice' with pauses plus white noise."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.5 * t)
    ph = 2 * np.pi * np.cumsum(f0) / rate
    v = sum(np.sin(h * ph) / h for h in range(1, 20) if h * 160 < rate / 2) * 0.05
    v *= (np.sin(2 * np.pi * 0.8 * t) > 0)
    w = rng.standard_normal(n)
    w *= np.sqrt(np.mean(v ** 2) * 2) / np.std(w) * 10 ** (-snr_db / 20)
    return v, v + w


def run(parley, *args):
    r = subprocess.run([parley, "denoise", "--quiet"] + list(args), capture_output=True, text=True)
    return r.returncode, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    a = ap.parse_args()
    P = a.parley
    with tempfile.TemporaryDirectory() as d:
        p = lambda n: os.path.join(d, n)  # noqa: E731

        rc, err = run(P)
        check(rc == 2 and "usage" in err, "no arguments: usage, exit 2")
        rc, err = run(P, "--max-atten", "-3", p("a"), p("b"))
        check(rc == 2, "negative --max-atten: exit 2")
        r = subprocess.run([P, "denoise", "--help"], capture_output=True, text=True)
        check(r.returncode == 0 and "--speex" in r.stdout, "--help: exit 0")

        rc, err = run(P, p("missing.wav"), p("o.wav"))
        check(rc == 1 and "missing.wav" in err, f"missing input: exit 1 with the name ({err.strip()})")
        open(p("junk.wav"), "wb").write(b"this is not a wav file at all" * 10)
        rc, err = run(P, p("junk.wav"), p("o.wav"))
        check(rc == 1 and "junk.wav" in err and not os.path.exists(p("o.wav")),
              f"garbage input: exit 1, no output ({err.strip()})")

        # Silence stays silence, same shape and format.
        write_wav(p("sil.wav"), np.zeros(48000 * 2), 48000)
        rc, err = run(P, p("sil.wav"), p("sil_o.wav"))
        y, rate, kind = read_wav(p("sil_o.wav"))
        check(rc == 0 and rate == 48000 and kind == "s16" and y.shape == (96000, 1)
              and not np.any(y), "silence in, silence out (48 kHz 16-bit)")

        # Full-scale square wave: clipped input is processed, output in range.
        sq = np.where(np.sin(2 * np.pi * 200 * np.arange(48000) / 48000) >= 0, 1.0, -1.0)
        write_wav(p("clip.wav"), sq, 48000)
        rc, err = run(P, p("clip.wav"), p("clip_o.wav"))
        y, rate, _ = read_wav(p("clip_o.wav"))
        check(rc == 0 and len(y) == 48000 and np.all(np.abs(y) <= 1.0),
              "full-scale clipping: processed, output within [-1, 1]")

        # NaN/Inf in a float WAV: read as 0, reported, output finite.
        _, noisy = voice(48000, 3)
        bad = noisy.copy()
        bad[1000:1100] = np.nan
        bad[5000] = np.inf
        bad[7000:7010] = -np.inf
        write_wav(p("nan.wav"), bad, 48000, "f32")
        rc, err = run(P, p("nan.wav"), p("nan_o.wav"))
        y, rate, kind = read_wav(p("nan_o.wav"))
        check(rc == 0 and "NaN/Inf" in err and kind == "f32" and len(y) == len(bad)
              and np.all(np.isfinite(y)), f"NaN/Inf float WAV: noted, finite output ({err.strip()})")

        # Rates: 8 kHz mono and 96 kHz stereo keep rate, channels, length; the
        # noise gets quieter (gaps of the voice: noise only).
        for rate, ch in ((8000, 1), (16000, 1), (44100, 1), (96000, 2)):
            clean, noisy = voice(rate, 4, seed=rate)
            x = np.stack([noisy] + [np.zeros_like(noisy)] * (ch - 1), axis=1)
            write_wav(p(f"r{rate}.wav"), x, rate, "f32")
            rc, err = run(P, p(f"r{rate}.wav"), p(f"r{rate}_o.wav"))
            y, r2, kind = read_wav(p(f"r{rate}_o.wav"))
            gap = (clean == 0)
            gap[: rate] = False  # the first second: the network settles
            red = 10 * np.log10(np.mean(noisy[gap] ** 2) / (np.mean(y[gap, 0] ** 2) + 1e-20))
            check(rc == 0 and r2 == rate and y.shape == x.shape and np.all(np.isfinite(y)),
                  f"{rate} Hz x{ch}: same rate, channels and length")
            check(red > 10, f"{rate} Hz: noise between words {red:.1f} dB quieter")
            if ch == 2:
                check(np.max(np.abs(y[:, 1])) < 1e-6, "stereo: silent channel stays silent")

        # Time alignment: the output lines up with the input (delay removed).
        clean, _ = voice(48000, 3, seed=9, snr_db=60)
        write_wav(p("al.wav"), clean, 48000, "f32")
        rc, _ = run(P, p("al.wav"), p("al_o.wav"))
        y = read_wav(p("al_o.wav"))[0][:, 0]
        lags = range(-50, 51)
        cc = [np.dot(clean[1000:-1000], y[1000 + k:len(y) - 1000 + k]) for k in lags]
        best = list(lags)[int(np.argmax(cc))]
        check(rc == 0 and best == 0, f"output aligned with input (best lag {best})")

        # Empty file: an empty file of the same shape comes out.
        write_wav(p("empty.wav"), np.zeros((0, 2)), 16000)
        rc, err = run(P, p("empty.wav"), p("empty_o.wav"))
        ok = rc == 0 and os.path.exists(p("empty_o.wav"))
        if ok:
            y, rate, _ = read_wav(p("empty_o.wav"))
            ok = y.shape == (0, 2) and rate == 16000
        check(ok, f"empty WAV: empty output ({err.strip()})")

        # A rate the resampler cannot take: a clear error.
        write_wav(p("r4k.wav"), np.zeros(4000), 4000)
        rc, err = run(P, p("r4k.wav"), p("r4k_o.wav"))
        check(rc == 1 and "4000 Hz" in err, f"4 kHz: clear error ({err.strip()})")

        # --vad writes one row per 10 ms; --speex runs at any rate.
        _, noisy = voice(48000, 2)
        write_wav(p("v.wav"), noisy, 48000)
        rc, _ = run(P, "--vad", p("v.csv"), p("v.wav"), p("v_o.wav"))
        rows = open(p("v.csv")).read().strip().splitlines() if rc == 0 else []
        check(rc == 0 and rows[0] == "time_s,voice_prob" and len(rows) - 1 == 200,
              f"--vad: {len(rows) - 1} rows for 2 s")
        for rate in (16000, 44100):
            _, noisy = voice(rate, 2)
            write_wav(p(f"s{rate}.wav"), noisy, rate)
            rc, err = run(P, "--speex", p(f"s{rate}.wav"), p(f"s{rate}_o.wav"))
            y, r2, _ = read_wav(p(f"s{rate}_o.wav")) if rc == 0 else (np.zeros(0), 0, "")
            check(rc == 0 and r2 == rate and len(y) == len(noisy), f"--speex at {rate} Hz")
        rc, err = run(P, "--speex", "--model", "x.plmd", p("v.wav"), p("o.wav"))
        check(rc == 2, "--speex with --model: usage error")
        rc, err = run(P, "--model", p("junk.wav"), p("v.wav"), p("o2.wav"))
        check(rc == 1 and "junk.wav" in err, f"bad --model file: exit 1 ({err.strip()})")
    if FAILS:
        print(f"FAIL: {len(FAILS)} checks")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
