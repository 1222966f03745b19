#!/usr/bin/python3
"""Builds the TRAINING noise corpus: synthetic noises (white, pink, brown,
mains hum, TTS babble, clicks, keyboard, fan/HVAC) and recorded non-speech
effects from openttd-opensfx and tuxpaint-data (with --extra-fx also those of
sources.FX_GLOBS: desktop themes, game effects and ambience); 48 kHz mono WAV at -25 dBFS
RMS. The generators for the held-out types (alarm, human babble) live here
too but only build_eval.py calls them.

  /usr/bin/python3 ai/data/build_noise.py [--small] [--minutes 20] [--seed 1] [--extra-fx]
Needs <root>/speech/manifest.jsonl (babble is made of training TTS talkers).
"""
import argparse
import glob
import multiprocessing as mp
import os
import shutil
import struct
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment as A  # noqa: E402
import common as C  # noqa: E402
import dedup  # noqa: E402
import sources as S  # noqa: E402

NOISE_RMS_DB = -25.0
CLIP_S = 10.0


def _shaped(rng, n, rate, exponent, f_lo=20.0):
    """Gaussian noise with power spectrum ~ 1/f^exponent above f_lo."""
    nfft = 1 << (n - 1).bit_length()
    f = np.fft.rfftfreq(nfft, 1.0 / rate)
    spec = rng.standard_normal(len(f)) + 1j * rng.standard_normal(len(f))
    g = np.maximum(f, f_lo) ** (-exponent / 2)
    g[0] = 0.0
    return np.fft.irfft(spec * g, nfft)[:n]


def gen_white(rng, n, rate, ctx=None):
    return rng.standard_normal(n)


def gen_pink(rng, n, rate, ctx=None):
    return _shaped(rng, n, rate, 1.0)


def gen_brown(rng, n, rate, ctx=None):
    return _shaped(rng, n, rate, 2.0)


def gen_hum(rng, n, rate, ctx=None):
    """Mains hum and buzz: 50 or 60 Hz with up to 40 harmonics, odd ones
    stronger (transformer/rectifier), slow frequency drift, and a floor."""
    f0 = float(rng.choice([50.0, 60.0])) * (1 + float(rng.uniform(-0.003, 0.003)))
    t = np.arange(n) / rate
    drift = 0.002 * f0 * np.sin(2 * np.pi * float(rng.uniform(0.05, 0.3)) * t)
    phase = 2 * np.pi * np.cumsum(f0 + drift) / rate
    x = np.zeros(n)
    slope = float(rng.uniform(3, 12))  # dB per harmonic number doubling
    for k in range(1, int(min(40, rate / 2 / f0))):
        a = 10 ** (-slope * np.log2(k) / 20) * (1.0 if k % 2 else float(rng.uniform(0.1, 0.6)))
        x += a * np.sin(k * phase + float(rng.uniform(0, 2 * np.pi)))
    x /= np.sqrt(np.mean(x ** 2))
    return x + 10 ** (float(rng.uniform(-50, -30)) / 20) * rng.standard_normal(n)


def gen_babble(rng, n, rate, ctx):
    """Several talkers at once: 3-8 utterances from ctx['talkers'] (lists of
    (id, samples)), each looped from a random offset, +-4 dB apart."""
    talkers = ctx["talkers"]
    k = int(rng.integers(3, 9))
    pick = rng.choice(len(talkers), size=min(k, len(talkers)), replace=False)
    x = np.zeros(n)
    used = []
    for i in sorted(int(j) for j in pick):
        tid, s = talkers[i]
        seg = A.fit_noise(rng, s, n)
        x += seg / (np.sqrt(np.mean(seg ** 2)) + 1e-12) * 10 ** (float(rng.uniform(-4, 4)) / 20)
        used.append(tid)
    ctx.setdefault("used", []).append(used)
    return x


def gen_clicks(rng, n, rate, ctx=None):
    """Sparse clicks and crackle: Poisson impulses with short decays through
    a random high-pass, on a quiet floor."""
    x = 10 ** (float(rng.uniform(-60, -40)) / 20) * rng.standard_normal(n)
    lam = float(rng.uniform(1, 30))  # clicks per second
    m = rng.poisson(lam * n / rate)
    pos = rng.integers(0, n, m)
    amp = rng.choice([-1, 1], m) * 10 ** (rng.uniform(-20, 0, m) / 20)
    tau = rng.uniform(0.0002, 0.003, m)
    imp = np.zeros(n)
    for p, a, tt in zip(pos, amp, tau):
        L = min(n - p, int(8 * tt * rate) + 1)
        imp[p:p + L] += a * np.exp(-np.arange(L) / (tt * rate))
    hp = A.biquad("highpass", float(rng.uniform(200, 2000)), rate)
    return x + A.apply_biquads(imp, [hp], rate)


def gen_keyboard(rng, n, rate, ctx=None):
    """Typing: bursts of keystrokes (press + release transients 60-140 ms
    apart), each a decaying noise burst through 1-2 resonances, with pauses."""
    x = 10 ** (float(rng.uniform(-65, -45)) / 20) * rng.standard_normal(n)
    t = float(rng.uniform(0, 0.5))
    board = [(float(rng.uniform(1500, 6000)), float(rng.uniform(2, 8))) for _ in range(3)]
    while t < n / rate:
        L = int(0.03 * rate)
        for dt, lvl in ((0.0, 0.0), (float(rng.uniform(0.06, 0.14)), float(rng.uniform(-9, -3)))):
            p = int((t + dt) * rate)
            if p + L >= n:
                break
            burst = rng.standard_normal(L) * np.exp(-np.arange(L) / (float(rng.uniform(0.002, 0.008)) * rate))
            f, q = board[int(rng.integers(len(board)))]
            burst = A.apply_biquads(burst, [A.biquad("bandpass", f * float(rng.uniform(0.9, 1.1)), rate, q=q)], rate)
            x[p:p + L] += burst * 10 ** ((lvl + float(rng.uniform(-6, 0))) / 20)
        t += float(rng.gamma(4.0, 0.045))  # ~180 ms between keys
        if rng.random() < 0.06:
            t += float(rng.uniform(0.5, 2.0))  # thinking
    return x


def gen_fan(rng, n, rate, ctx=None):
    """Fan / HVAC: low-passed rumble, blade-pass tone with harmonics and slow
    amplitude wobble, and a broadband air hiss."""
    t = np.arange(n) / rate
    rumble = A.apply_biquads(_shaped(rng, n, rate, 1.5),
                             [A.biquad("lowpass", float(rng.uniform(150, 800)), rate)], rate)
    rumble /= np.sqrt(np.mean(rumble ** 2))
    bpf = float(rng.uniform(40, 300))
    tone = sum(10 ** (-k * float(rng.uniform(3, 9)) / 20) *
               np.sin(2 * np.pi * bpf * k * t + float(rng.uniform(0, 2 * np.pi))) for k in range(1, 6))
    tone *= 1 + 0.2 * np.sin(2 * np.pi * float(rng.uniform(0.1, 1.0)) * t)
    tone /= np.sqrt(np.mean(tone ** 2))
    hiss = A.apply_biquads(rng.standard_normal(n), [A.biquad(
        "bandpass", float(rng.uniform(800, 4000)), rate, q=float(rng.uniform(0.3, 1.0)))], rate)
    hiss /= np.sqrt(np.mean(hiss ** 2))
    return (rumble + 10 ** (float(rng.uniform(-20, -3)) / 20) * tone +
            10 ** (float(rng.uniform(-15, 0)) / 20) * hiss)


def gen_alarm(rng, n, rate, ctx=None):
    """HELD-OUT type. Tonal alarms: beeping (sine or square-ish) patterns,
    two-tone and swept sirens, over a quiet room floor."""
    t = np.arange(n) / rate
    kind = int(rng.integers(3))
    if kind == 0:  # beeper
        f = float(rng.uniform(1000, 4000))
        period, duty = float(rng.uniform(0.2, 1.2)), float(rng.uniform(0.2, 0.7))
        gate = ((t % period) < duty * period).astype(np.float64)
        x = np.sin(2 * np.pi * f * t)
        if rng.random() < 0.5:
            x = np.tanh(4 * x)  # square-ish, rich in odd harmonics
        x *= gate
    elif kind == 1:  # two-tone
        f1 = float(rng.uniform(400, 1000))
        f2 = f1 * float(rng.uniform(1.2, 1.6))
        period = float(rng.uniform(0.5, 2.0))
        f = np.where((t % period) < period / 2, f1, f2)
        x = np.sin(2 * np.pi * np.cumsum(f) / rate)
    else:  # siren sweep
        lo = float(rng.uniform(500, 900))
        hi = lo * float(rng.uniform(1.5, 2.5))
        rate_hz = float(rng.uniform(0.2, 3))
        f = lo + (hi - lo) * 0.5 * (1 - np.cos(2 * np.pi * rate_hz * t))
        x = np.sin(2 * np.pi * np.cumsum(f) / rate)
    return x + 10 ** (float(rng.uniform(-50, -35)) / 20) * rng.standard_normal(n)


GENERATORS = {"white": gen_white, "pink": gen_pink, "brown": gen_brown, "hum": gen_hum,
              "babble": gen_babble, "clicks": gen_clicks, "keyboard": gen_keyboard,
              "fan": gen_fan, "alarm": gen_alarm, "babble_human": gen_babble}


def level(x, peak=0.99):
    """-25 dBFS RMS, lowered if that would clip."""
    y = x * 10 ** ((NOISE_RMS_DB - C.rms_db(x)) / 20)
    pk = float(np.max(np.abs(y)))
    return y * (peak / pk) if pk > peak else y


# ------------------------------------------------------------- recordings

def opensfx_entries(path):
    """Parses OpenTTD's sound catalogue: a table of (offset|0x80000000, size)
    LE pairs whose first offset also gives the entry count; each entry is a
    length-prefixed NUL-terminated description then a RIFF WAVE file of
    `size` bytes.
    Returns [(index, description, wav_bytes)], checking every bound."""
    with open(path, "rb") as f:
        d = f.read()
    if len(d) < 8:
        raise ValueError("catalogue too short")
    first = struct.unpack_from("<I", d, 0)[0] & 0x7FFFFFFF
    if first % 8 or first == 0 or first > len(d):
        raise ValueError("bad catalogue header")
    out = []
    for i in range(first // 8):
        off, size = struct.unpack_from("<II", d, 8 * i)
        off &= 0x7FFFFFFF
        if off >= len(d):
            raise ValueError("entry %d out of bounds" % i)
        nl = d[off]
        if off + 1 + nl + size > len(d) or size < 12:
            raise ValueError("entry %d overruns the catalogue" % i)
        name = d[off + 1:off + 1 + nl].rstrip(b"\0").decode("latin-1")
        wav = d[off + 1 + nl:off + 1 + nl + size]
        if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
            raise ValueError("entry %d: not a WAVE" % i)
        out.append((i, name, wav))
    return out


def recorded_jobs(small, extra_fx=False):
    jobs = []
    for i, name, wav in opensfx_entries(S.OPENSFX_CAT):
        if i in S.OPENSFX_EXCLUDED:
            continue
        jobs.append({"id": "rec-opensfx-%02d" % i, "package": "openttd-opensfx",
                     "source_file": "%s#%d" % (S.OPENSFX_CAT, i), "credit": name,
                     "licence": "CC-BY-SA-3.0 (collection)", "bytes": wav})
    for nm in S.TUXPAINT_NOISE:
        jobs.append({"id": "rec-tuxpaint-%s" % nm, "package": "tuxpaint-data",
                     "source_file": os.path.join(S.TUXPAINT, nm + ".wav"),
                     "licence": "GPL-2+"})
    for pkg, lic, path in (S.fx_files() if extra_fx else []):
        stem = os.path.splitext(os.path.basename(path))[0].lower().replace(".", "-")
        jobs.append({"id": "rec-%s-%s" % (pkg.split("-")[0], stem), "package": pkg,
                     "source_file": path, "licence": lic})
    if small:
        jobs = jobs[:3] + [j for j in jobs if j["package"] == "tuxpaint-data"][:3]
    return jobs


def do_recorded(job):
    j, root, fmt, split, tmp = job
    if "bytes" in j:
        fd, p = tempfile.mkstemp(suffix=".wav", dir=tmp)
        with os.fdopen(fd, "wb") as f:
            f.write(j.pop("bytes"))
        try:
            x = C.decode(p, C.RATE)
        finally:
            os.unlink(p)
    else:
        x = C.decode(j["source_file"], C.RATE)
    x = C.trim_silence(x, C.RATE, floor_db=-60.0, keep_s=0.02)
    if len(x) < int(0.05 * C.RATE) or not np.any(x):
        return None
    rel = "noise/wav/%s.wav" % j["id"]
    C.write_wav(os.path.join(root, rel), level(x), C.RATE, fmt)
    row = dict(j, path=rel, split=split, source="recorded", type="recorded",
               duration_s=round(len(x) / C.RATE, 6), sample_rate=C.RATE,
               sha256=C.sha256_file(os.path.join(root, rel)))
    return row


# Talker audio for babble, set before the worker pool forks so that it is
# inherited rather than pickled into every job.
SHARED = {}


def do_synth(job):
    kind, k, seed, dur, root, fmt, split, talkers_key, prefix = job
    ctx = {"talkers": SHARED[talkers_key]} if talkers_key else None
    rng = C.rng_for(seed, "noise", kind, k)
    n = int(dur * C.RATE)
    x = GENERATORS[kind](rng, n, C.RATE, ctx)
    rid = "%s-%s-%03d" % (prefix, kind, k)
    rel = "noise/wav/%s.wav" % rid if split == "train" else "eval/noise/%s.wav" % rid
    C.write_wav(os.path.join(root, rel), level(x), C.RATE, fmt)
    row = {"id": rid, "path": rel, "split": split, "source": "synthetic", "type": kind,
           "package": "none (synthetic)", "duration_s": round(n / C.RATE, 6),
           "sample_rate": C.RATE, "sha256": C.sha256_file(os.path.join(root, rel))}
    if ctx and ctx.get("used"):
        row["talkers"] = ctx["used"][-1]
    return row


def load_talkers(root, max_talkers=40):
    """TTS utterances of the training speech corpus (babble material)."""
    man = os.path.join(root, "speech/manifest.jsonl")
    if not os.path.exists(man):
        sys.exit("%s missing: run build_speech.py first (babble needs talkers)" % man)
    rows = [r for r in C.read_manifest(man) if r["source"] == "tts"]
    rows = rows[:max_talkers]
    return [(r["id"], C.read_wav(os.path.join(root, r["path"]))[0]) for r in rows]


def build(root, seed, minutes, small, jobs, fmt, extra_fx=False):
    C.need_tools("ffmpeg")
    for p in [S.OPENSFX_CAT] + [os.path.join(S.TUXPAINT, n + ".wav") for n in S.TUXPAINT_NOISE]:
        if not os.path.exists(p):
            sys.exit("missing %s (run ai/data/install.sh)" % p)
    for pkg, _, pattern, _ in (S.FX_GLOBS if extra_fx else []):
        if not glob.glob(pattern):
            sys.exit("no %s in %s (run ai/data/install.sh)" % (pattern, pkg))
    shutil.rmtree(os.path.join(root, "noise/wav"), ignore_errors=True)
    tmp = os.path.join(root, "noise/.tmp")
    os.makedirs(tmp, exist_ok=True)
    SHARED["train_tts"] = load_talkers(root)
    dur = 3.0 if small else CLIP_S
    per_type = 1 if small else max(1, int(round(minutes * 60 / len(S.TRAIN_NOISE_TYPES) / dur)))
    synth = [(kind, k, seed, dur, root, fmt, "train",
              "train_tts" if kind == "babble" else None, "syn")
             for kind in S.TRAIN_NOISE_TYPES for k in range(per_type)]
    rjobs = recorded_jobs(small, extra_fx)
    # A recording that is also on the eval side (by content: oxygen-sounds'
    # Oxygen-Im-Message-In.ogg is freedesktop's message-new-instant.oga)
    # stays there and leaves training; noise/dropped.jsonl says which and why.
    recs = [dict(j, side="train", path=j["source_file"]) for j in rjobs]
    drops = dedup.train_drops(root, recs)
    rjobs = [j for j in rjobs if j["source_file"] not in drops]
    rec = [(j, root, fmt, "train", tmp) for j in rjobs]
    rows = []
    with mp.get_context("fork").Pool(jobs) as pool:
        rows += [r for r in pool.imap(do_synth, synth)]
        rows += [r for r in pool.imap(do_recorded, rec) if r is not None]
    shutil.rmtree(tmp)
    C.write_manifest(os.path.join(root, "noise/manifest.jsonl"), rows)
    C.write_manifest(os.path.join(root, "noise/dropped.jsonl"), dedup.drop_rows(drops, recs))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=20.0, help="synthetic noise (recorded is all)")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--extra-fx", action="store_true",
                    help="also the recorded effects of sources.FX_GLOBS (not in the shipped model's data)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--format", choices=["pcm16", "float"], default="pcm16")
    a = ap.parse_args()
    root = C.out_root(a.out)
    rows = build(root, a.seed, a.minutes, a.small, a.jobs, a.format, a.extra_fx)
    by = {}
    for r in rows:
        by[r["type"]] = by.get(r["type"], 0) + r["duration_s"]
    C.log("noise: %d clips, %.1f min (%s) -> %s/noise" % (
        len(rows), sum(by.values()) / 60, ", ".join("%s %.0fs" % kv for kv in sorted(by.items())), root))


if __name__ == "__main__":
    main()
