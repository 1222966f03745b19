"""Training sessions for the noise suppressor, and their C-computed records.

A session is 5-14 s of a call: utterances of the training speech corpus with
pauses, one talker EQ and room for the whole session, one noise bed (looped
or sparse recorded effects, synthetic noises, sometimes two at once, random
EQ and speed) at an SNR drawn from -5..30 dB (P.56 active level re noise
power), then a band limit (4, 8, 12 kHz; applied to the target too), a gain
of -25..+6 dB and sometimes clipping. 7 % of sessions are noise only, 8 %
clean (no noise, or 40-60 dB SNR). The target is the dry speech through the
EQ and the first 50 ms of the room.

The features and targets are not computed here: `parley denoise
--train-records` runs the C analysis (ai/denoise/dsp.c) over the sessions,
so training sees exactly what the runtime computes. Output, in --out:
records.npy (float32 [frames, PL_DN_TRAIN_REC]) and sessions.json.

    /usr/bin/python3 -m ai.train.denoise.data --parley build/bin/parley \\
        --out /tmp/dn --minutes 120 [--data ai/data/out] [--seed 1 --jobs 2]
        [--recorded 0.35] [--low-snr 0]

--recorded and --low-snr change the mix (docs/denoise.md, Training, rows B
and F); their defaults build the shipped model's records, draw for draw.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "ai", "data"))
import augment as A  # noqa: E402
from common import active_level, read_wav, rng_for, rms_db  # noqa: E402

SR = 48000
HOP = 480
REC = 182  # PL_DN_TRAIN_REC (ai/denoise/dsp.h); checked against the C output
SESSIONS_PER_SHARD = 24

SYNTH = ("white", "pink", "brown", "hum", "babble", "clicks", "keyboard", "fan")


def load_manifests(data):
    with open(os.path.join(data, "speech", "manifest.jsonl")) as f:
        speech = [json.loads(l) for l in f if l.strip()]
    with open(os.path.join(data, "noise", "manifest.jsonl")) as f:
        noise = [json.loads(l) for l in f if l.strip()]
    speech = [r for r in speech if r["split"] == "train"]
    noise = [r for r in noise if r["split"] == "train"]
    by_type = {}
    for r in noise:
        by_type.setdefault(r["type"], []).append(r)
    return speech, by_type


class Corpus:
    """Lazy WAV cache (a worker reads each file at most once)."""

    def __init__(self, data):
        self.data = data
        self.speech, self.noise = load_manifests(data)
        self.cache = {}

    def wav(self, row):
        p = row["path"]
        if p not in self.cache:
            x, rate = read_wav(os.path.join(self.data, p))
            if rate != SR:
                raise ValueError(f"{p}: {rate} Hz, expected {SR}")
            self.cache[p] = x.astype(np.float32)
        return self.cache[p].astype(np.float64)


def speed(rng, x, lo=-0.5, hi=0.5):
    """Resample by 2^u (linear interpolation): a recorded effect at another
    pitch and tempo."""
    f = 2.0 ** rng.uniform(lo, hi)
    n = max(2, int(len(x) / f))
    return np.interp(np.arange(n) * f, np.arange(len(x)), x)


def events(rng, n):
    """Sound events of the kind a call picks up from devices and games:
    beeps and chimes (harmonic or bell-like partials, some gliding), buzzy
    square-ish tones, and band-passed noise bursts, each with its own
    envelope, often one event repeated as a pattern. Independent of the
    held-out synthetic alarms of ai/data/build_eval.py."""
    out = np.zeros(n)
    pos = int(rng.uniform(0.0, 0.5) * SR)
    while pos < n:
        L = int(rng.uniform(0.03, 0.8) * SR)
        t = np.arange(L) / SR
        kind = rng.integers(3)
        if kind < 2:
            f0 = 2 ** rng.uniform(np.log2(200), np.log2(4000))
            if rng.random() < 0.3:
                f = f0 * 2 ** (rng.uniform(-1, 1) * t / t[-1])
            else:
                f = np.full(L, f0)
            ph = 2 * np.pi * np.cumsum(f) / SR
            if kind == 0:
                ratios = [1.0, 2.76, 5.40, 8.93] if rng.random() < 0.3 else \
                    list(range(1, int(rng.integers(1, 6)) + 1))
                slope = rng.uniform(0.5, 2.0)
                x = sum(np.sin(r * ph + rng.uniform(0, 6.3)) / r ** slope
                        for r in ratios if r * f0 < 20000)
            else:
                x = np.tanh(rng.uniform(2, 10) * np.sin(ph))
        else:
            w = rng.standard_normal(L)
            fc = 2 ** rng.uniform(np.log2(200), np.log2(10000))
            W = np.fft.rfft(w)
            fr = np.fft.rfftfreq(L, 1 / SR)
            W *= np.exp(-0.5 * (np.log2(np.maximum(fr, 1) / fc) / rng.uniform(0.2, 1.5)) ** 2)
            x = np.fft.irfft(W, L)
        att = max(1, int(rng.uniform(0.001, 0.02) * SR))
        env = np.minimum(1.0, np.arange(L) / att)
        if rng.random() < 0.6:
            env *= np.exp(-t / rng.uniform(0.02, 0.5))
        else:
            rel = max(1, int(rng.uniform(0.005, 0.05) * SR))
            env *= np.minimum(1.0, (L - np.arange(L)) / rel)
        x = x * env
        x /= np.sqrt(np.mean(x ** 2)) + 1e-12
        reps = int(rng.integers(1, 6)) if rng.random() < 0.5 else 1
        gap = int(rng.uniform(0.02, 0.3) * SR)
        for _ in range(reps):
            if pos >= n:
                break
            take = min(L, n - pos)
            out[pos:pos + take] += x[:take] * 10 ** (rng.uniform(-10, 0) / 20)
            pos += L + gap
        pos += int(rng.exponential(rng.uniform(0.05, 1.5)) * SR)
    return out


# Shares of a noise bed: synthetic events, recorded clips (the rest is the
# synthetic stationary types of SYNTH).
EVENTS_SHARE = 0.2
RECORDED_SHARE = 0.35
# Share of noisy sessions whose SNR is drawn from -5..15 dB instead of
# -5..30 dB (0: uniform over -5..30 dB).
LOW_SNR_SHARE = 0.0


def one_noise(rng, corpus, n, recorded=RECORDED_SHARE):
    u = rng.random()
    if u < EVENTS_SHARE:
        x = events(rng, n)
    elif u < EVENTS_SHARE + recorded:
        rows = corpus.noise["recorded"]
        x = corpus.wav(rows[rng.integers(len(rows))])
        if rng.random() < 0.5:
            x = speed(rng, x)
        if rng.random() < 0.35 and len(x) < n:
            # Sparse events: the effect recurs at random times, not looped.
            out = np.zeros(n)
            pos = int(rng.uniform(0, 1.0) * SR)
            while pos < n:
                take = min(len(x), n - pos)
                out[pos:pos + take] += x[:take] * 10 ** (rng.uniform(-6, 3) / 20)
                pos += take + int(rng.exponential(0.8) * SR)
            x = out if np.any(out) else A.fit_noise(rng, x, n)
        else:
            x = A.fit_noise(rng, x, n)
    else:
        kind = SYNTH[rng.integers(len(SYNTH))]
        rows = corpus.noise[kind]
        x = A.fit_noise(rng, corpus.wav(rows[rng.integers(len(rows))]), n)
    if rng.random() < 0.3:
        x = A.apply_biquads(x, A.random_eq(rng, SR), SR)
    r = rms_db(x)
    return x * 10 ** (-r / 20) if np.isfinite(r) else x


def noise_bed(rng, corpus, n, recorded=RECORDED_SHARE):
    x = one_noise(rng, corpus, n, recorded)
    if rng.random() < 0.3:
        x = x + one_noise(rng, corpus, n, recorded) * 10 ** (rng.uniform(-12, 0) / 20)
    return x


def extend_band(rng, x, fc):
    """Speech that ends at fc (the corpus is 4-16 kHz band) given plausible
    energy above it: the top half of its band, [fc/2, fc], translated up by
    fc/2 again and again (single-sideband in the FFT domain) at -3..-12 dB
    per step, so fricatives reach the full band like real wideband speech
    does. Without this the network learns that everything above 8-11 kHz
    is noise and dulls full-band talkers."""
    n = len(x)
    X = np.fft.rfft(x)
    df = SR / n
    level = 10 ** (rng.uniform(-12.0, -3.0) / 20)
    top = min(SR / 2, rng.uniform(14000.0, 24000.0))
    w, b = int(fc / 2 / df), int(fc / df)
    if w < 1:
        return x
    band = X[b - w:b]
    Y = X.copy()
    pos, g = b, level
    while pos < len(X) and pos * df < top:
        m = min(w, len(X) - pos)
        Y[pos:pos + m] += band[:m] * g
        pos, g = pos + w, g * level
    Y[np.fft.rfftfreq(n, 1 / SR) > top] = 0
    return np.fft.irfft(Y, n)


def speech_track(rng, corpus, n):
    s = np.zeros(n)
    # A third of the sessions start talking at once: the network must not
    # eat the first syllable while its state is still empty.
    pos = 0 if rng.random() < 0.35 else int(rng.uniform(0, 1.0) * SR)
    while pos < n - SR // 2:
        row = corpus.speech[rng.integers(len(corpus.speech))]
        x = corpus.wav(row) * 10 ** (rng.uniform(-4, 4) / 20)
        fc = float(row.get("band_limit_hz") or SR / 2)
        if fc < 16000 and rng.random() < 0.6:
            x = extend_band(rng, x, fc)
        take = min(len(x), n - pos)
        s[pos:pos + take] += x[:take]
        pos += take + int(rng.uniform(0.1, 1.5) * SR)
    return s


def make_session(rng, corpus, recorded=RECORDED_SHARE, low_snr=LOW_SNR_SHARE):
    """(noisy, target, info) of one session, float32, a whole number of hops."""
    n = int(rng.uniform(5.0, 14.0) * SR) // HOP * HOP
    u = rng.random()
    kind = "noise_only" if u < 0.07 else "clean" if u < 0.15 else "noisy"
    info = {"kind": kind}
    if kind == "noise_only":
        wet = target = np.zeros(n)
    else:
        s = speech_track(rng, corpus, n)
        if rng.random() < 0.5:
            s = A.apply_biquads(s, A.random_eq(rng, SR), SR)
        if rng.random() < 0.35:
            rt60 = float(rng.uniform(0.15, 0.8))
            wet, target = A.reverberate(s, A.synth_rir(rng, SR, rt60), SR)
            info["rt60"] = rt60
        else:
            wet = target = s
    noise = noise_bed(rng, corpus, n, recorded)
    if kind == "noisy":
        # Drawn only when asked, so sets built without it stay the same.
        top = 15.0 if low_snr > 0 and rng.random() < low_snr else 30.0
        snr = float(rng.uniform(-5.0, top))
    elif kind == "clean":
        snr = float(rng.uniform(40.0, 60.0)) if rng.random() < 0.5 else None
    else:
        snr = None
    if kind == "noise_only":
        noise = noise * 10 ** (rng.uniform(-55.0, -20.0) / 20)
    elif snr is None:
        noise = np.zeros(n)
    else:
        s_db = active_level(wet, SR)[0]
        noise = noise * 10 ** ((s_db - snr) / 20)
    info["snr_db"] = snr
    noisy = wet + noise
    if rng.random() < 0.25:
        fc = float(rng.choice([4000.0, 8000.0, 12000.0]))
        noisy = A.band_limit(noisy, SR, fc)
        target = A.band_limit(target, SR, fc)
        info["band_limit_hz"] = fc
    g = 10 ** (rng.uniform(-25.0, 6.0) / 20)
    peak = float(np.max(np.abs(noisy))) or 1.0
    if rng.random() < 0.05:
        noisy = A.clip(noisy * g, float(rng.uniform(0.2, 0.7)) * peak * g)
        info["clipped"] = True
    else:
        g = min(g, 0.99 / peak)
        noisy = noisy * g
    target = target * g
    lvl = active_level(target, SR)[0] if kind != "noise_only" else float("-inf")
    info["level_db"] = lvl if np.isfinite(lvl) else None
    return noisy.astype(np.float32), target.astype(np.float32), info


_corpus = None


def build_shard(args):
    shard, seed, data, parley, tmp, run_floor, recorded, low_snr = args
    global _corpus
    if _corpus is None:
        _corpus = Corpus(data)
    rng = rng_for(seed, "denoise-shard", shard)
    noisy, target, infos, lens = [], [], [], []
    for _ in range(SESSIONS_PER_SHARD):
        a, b, info = make_session(rng, _corpus, recorded, low_snr)
        noisy.append(a)
        target.append(b)
        infos.append(info)
        lens.append(len(a))
    base = os.path.join(tmp, f"shard{shard:04d}")
    np.concatenate(noisy).tofile(base + ".noisy.f32")
    np.concatenate(target).tofile(base + ".clean.f32")
    with open(base + ".segs", "w") as f:
        f.write("\n".join(str(n) for n in lens) + "\n")
    subprocess.run([parley, "denoise", "--train-records", base + ".noisy.f32", base + ".clean.f32",
                    base + ".rec.f32", "--segments", base + ".segs"]
                   + (["--run-floor"] if run_floor else []), check=True)
    rec = np.fromfile(base + ".rec.f32", dtype=np.float32)
    frames = sum(n // HOP for n in lens)
    if rec.size != frames * REC:
        raise RuntimeError(f"shard {shard}: {rec.size} floats from C, expected {frames} x {REC}")
    for ext in (".noisy.f32", ".clean.f32", ".segs", ".rec.f32"):
        os.remove(base + ext)
    for info, n in zip(infos, lens):
        info["frames"] = n // HOP
    return rec.reshape(frames, REC), infos


def build(out, data, parley, minutes, seed=1, jobs=2, log=print, run_floor=False,
          recorded=RECORDED_SHARE, low_snr=LOW_SNR_SHARE):
    """Shards of sessions until `minutes` of audio; returns the sessions."""
    os.makedirs(out, exist_ok=True)
    # ~9.5 s per session on average.
    shards = max(1, int(round(minutes * 60 / 9.5 / SESSIONS_PER_SHARD)))
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="dn-shards-") as tmp:
        tasks = [(i, seed, data, parley, tmp, run_floor, recorded, low_snr) for i in range(shards)]
        if jobs > 1:
            with Pool(jobs) as pool:
                results = pool.map(build_shard, tasks, chunksize=1)
        else:
            results = [build_shard(t) for t in tasks]
    recs, sessions, start = [], [], 0
    for rec, infos in results:
        recs.append(rec)
        for info in infos:
            info["start"] = start
            start += info["frames"]
            sessions.append(info)
    rec = np.concatenate(recs)
    np.save(os.path.join(out, "records.npy"), rec)
    meta = {"seed": seed, "minutes": minutes, "run_floor": run_floor, "recorded_share": recorded,
            "low_snr_share": low_snr,
            "shards": shards, "frames": int(rec.shape[0]), "rec": REC, "sessions": sessions, "build_s": round(time.time() - t0, 1)}
    with open(os.path.join(out, "sessions.json"), "w") as f:
        json.dump(meta, f)
    log(f"data: {len(sessions)} sessions, {rec.shape[0] / 6000:.1f} min, "
        f"{time.time() - t0:.0f} s -> {out}")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--parley", required=True, help="the parley binary (build/bin/parley)")
    ap.add_argument("--data", default=os.environ.get("PARLEY_DATA")
                    or os.path.join(REPO, "ai", "data", "out"))
    ap.add_argument("--minutes", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--run-floor", action="store_true",
                    help="features with the running stream's -60 dBFS input floor")
    ap.add_argument("--recorded", type=float, default=RECORDED_SHARE,
                    help="share of noise beds drawn from recorded clips")
    ap.add_argument("--low-snr", type=float, default=LOW_SNR_SHARE,
                    help="share of noisy sessions at -5..15 dB SNR instead of -5..30 dB")
    a = ap.parse_args(argv)
    if not 0.0 <= a.recorded <= 1.0 - EVENTS_SHARE:
        ap.error(f"--recorded {a.recorded}: a share from 0 to {1.0 - EVENTS_SHARE:g} "
                 f"(synthetic events take {EVENTS_SHARE:g})")
    if not 0.0 <= a.low_snr <= 1.0:
        ap.error(f"--low-snr {a.low_snr}: a share from 0 to 1")
    build(a.out, a.data, a.parley, a.minutes, a.seed, a.jobs, run_floor=a.run_floor,
          recorded=a.recorded, low_snr=a.low_snr)


if __name__ == "__main__":
    main()
