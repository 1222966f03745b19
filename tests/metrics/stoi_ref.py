#!/usr/bin/env python3
"""Independent numpy reference for STOI (Taal et al., IEEE TASLP 19(7), 2011),
written from the paper and the published algorithm description, vectorised
rather than a transcription of the C code. Used to make and check the fixtures
in tests/fixtures/metrics/ that tests/unit/metrics_audio.c compares against.

  stoi_ref.py REF.wav DEG.wav          print STOI of two 16-bit mono WAVs
  stoi_ref.py --make-fixtures DIR      write fixture WAVs + expected.txt
  stoi_ref.py --check DIR              recompute expected.txt, exit 1 on drift
"""
import sys
import wave

import numpy as np

FS = 10000
N_FRAME = 256
N_FFT = 512
N_BANDS = 15
MIN_FREQ = 150.0
N_SEG = 30
BETA = -15.0
DYN_RANGE = 40.0
EPS = np.finfo(np.float64).eps
SPEECH = "/usr/share/codec2/raw/speech_orig_16k.wav"


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return x.astype(np.float64) / 32768.0, w.getframerate()


def write_wav(path, x, rate):
    q = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(q.tobytes())
    return q.astype(np.float64) / 32768.0


def resample_fft(x, rate_in, rate_out):
    """Band-limited resampling by truncating/zero-padding the spectrum."""
    if rate_in == rate_out:
        return x.copy()
    n_out = int(np.ceil(len(x) * rate_out / rate_in))
    spec = np.fft.rfft(x)
    keep = n_out // 2 + 1
    out_spec = np.zeros(keep, dtype=complex)
    m = min(keep, len(spec))
    out_spec[:m] = spec[:m]
    return np.fft.irfft(out_spec, n_out) * (n_out / len(x))


def hanning(n):
    # MATLAB's hanning(n): symmetric, without the zero end points.
    return 0.5 * (1 - np.cos(2 * np.pi * np.arange(1, n + 1) / (n + 1)))


def frame_starts(n):
    return np.arange(0, n - N_FRAME, N_FRAME // 2)


def remove_silent_frames(x, y):
    w = hanning(N_FRAME)
    starts = frame_starts(len(x))
    idx = starts[:, None] + np.arange(N_FRAME)[None, :]
    xf, yf = x[idx] * w, y[idx] * w
    energy_db = 20 * np.log10(np.linalg.norm(xf, axis=1) / np.sqrt(N_FRAME))
    keep = (energy_db - energy_db.max() + DYN_RANGE) > 0
    xf, yf = xf[keep], yf[keep]
    n_out = (len(xf) - 1) * (N_FRAME // 2) + N_FRAME
    xs, ys = np.zeros(n_out), np.zeros(n_out)
    for i in range(len(xf)):
        s = i * (N_FRAME // 2)
        xs[s:s + N_FRAME] += xf[i]
        ys[s:s + N_FRAME] += yf[i]
    return xs, ys


def third_octave_matrix():
    f = np.linspace(0, FS, N_FFT + 1)[: N_FFT // 2 + 1]
    k = np.arange(N_BANDS)
    lo = np.sqrt(MIN_FREQ * 2 ** (k / 3) * MIN_FREQ * 2 ** ((k - 1) / 3))
    hi = np.sqrt(MIN_FREQ * 2 ** (k / 3) * MIN_FREQ * 2 ** ((k + 1) / 3))
    a = np.zeros((N_BANDS, len(f)))
    for b in range(N_BANDS):
        il = np.argmin((f - lo[b]) ** 2)
        ih = np.argmin((f - hi[b]) ** 2)
        a[b, il:ih] = 1
    return a


def stoi(x, y, rate):
    x = resample_fft(np.asarray(x, float), rate, FS)
    y = resample_fft(np.asarray(y, float), rate, FS)
    x, y = remove_silent_frames(x, y)
    w = hanning(N_FRAME)
    starts = frame_starts(len(x))
    idx = starts[:, None] + np.arange(N_FRAME)[None, :]
    xs = np.fft.rfft(x[idx] * w, N_FFT, axis=1)
    ys = np.fft.rfft(y[idx] * w, N_FFT, axis=1)
    a = third_octave_matrix()
    xb = np.sqrt(np.abs(xs) ** 2 @ a.T).T  # bands x frames
    yb = np.sqrt(np.abs(ys) ** 2 @ a.T).T
    n_frames = xb.shape[1]
    if n_frames < N_SEG:
        raise ValueError("too short for STOI")
    clip = 10 ** (-BETA / 20)
    scores = []
    for m in range(N_SEG, n_frames + 1):
        xseg = xb[:, m - N_SEG:m]
        yseg = yb[:, m - N_SEG:m]
        alpha = np.linalg.norm(xseg, axis=1, keepdims=True) / (
            np.linalg.norm(yseg, axis=1, keepdims=True) + EPS)
        yp = np.minimum(alpha * yseg, xseg * (1 + clip))
        xc = xseg - xseg.mean(axis=1, keepdims=True)
        yc = yp - yp.mean(axis=1, keepdims=True)
        xn = np.linalg.norm(xc, axis=1) + EPS
        yn = np.linalg.norm(yc, axis=1) + EPS
        scores.append(np.sum(xc * yc, axis=1) / (xn * yn))
    return float(np.mean(scores))


def add_noise(rng, x, snr_db):
    n = rng.standard_normal(len(x))
    n *= np.sqrt(np.sum(x ** 2) / np.sum(n ** 2) / 10 ** (snr_db / 10))
    return x + n


def make_fixtures(out):
    speech, rate = read_wav(SPEECH)
    assert rate == 16000
    clean16 = speech[16000:16000 + 3 * 16000]
    clean16 = clean16 * (0.25 / np.max(np.abs(clean16)))
    clean10 = resample_fft(clean16, 16000, FS)
    rng = np.random.default_rng(2011)
    cases = {}
    cases["noise_p10"] = add_noise(rng, clean10, 10.0)
    cases["noise_0"] = add_noise(rng, clean10, 0.0)
    cases["noise_m5"] = add_noise(rng, clean10, -5.0)
    # Crude low-pass (4-tap moving average) plus mild noise.
    cases["lowpass"] = add_noise(
        rng, np.convolve(clean10, np.ones(4) / 4, mode="same"), 20.0)
    # Packet-loss-like gaps: 40 ms of silence every 120 ms.
    gaps = clean10.copy()
    for s in range(0, len(gaps), 1200):
        gaps[s + 800:s + 1200] = 0
    cases["gaps"] = gaps
    x10 = write_wav(f"{out}/stoi_clean_10k.wav", clean10, FS)
    lines = []
    for name, y in cases.items():
        yq = write_wav(f"{out}/stoi_{name}_10k.wav", y, FS)
        lines.append(f"stoi_clean_10k.wav stoi_{name}_10k.wav {FS} {stoi(x10, yq, FS):.10f}")
    # The 16 kHz pair exercises the resampling path (speexdsp in C, FFT here).
    x16 = write_wav(f"{out}/stoi_clean_16k.wav", clean16, 16000)
    y16 = write_wav(f"{out}/stoi_noise_0_16k.wav",
                    add_noise(rng, clean16, 0.0), 16000)
    lines.append(f"stoi_clean_16k.wav stoi_noise_0_16k.wav 16000 {stoi(x16, y16, 16000):.10f}")
    with open(f"{out}/stoi_expected.txt", "w") as f:
        f.write("# ref deg rate stoi  (made by tests/metrics/stoi_ref.py --make-fixtures)\n")
        f.write("\n".join(lines) + "\n")


def check(d):
    bad = 0
    for line in open(f"{d}/stoi_expected.txt"):
        if line.startswith("#") or not line.strip():
            continue
        r, g, rate, want = line.split()
        x, _ = read_wav(f"{d}/{r}")
        y, _ = read_wav(f"{d}/{g}")
        got = stoi(x, y, int(rate))
        ok = abs(got - float(want)) < 1e-9
        bad += not ok
        print(f"{g}: {got:.10f} expected {want} {'ok' if ok else 'DRIFT'}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make-fixtures":
        make_fixtures(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    elif len(sys.argv) == 3:
        x, rx = read_wav(sys.argv[1])
        y, ry = read_wav(sys.argv[2])
        assert rx == ry
        n = min(len(x), len(y))
        print(f"{stoi(x[:n], y[:n], rx):.6f}")
    else:
        print(__doc__)
        sys.exit(2)
