#!/usr/bin/python3
"""Builds a multi-talker BABBLE corpus from the training speech corpus:
10 s clips of 4-20 TTS utterances at once, each talker at its own pitch and
rate (resampled by 2^u, u in +-0.4 octave), level (+-8 dB) and start, some
talkers near and some far (a third through a synthetic room), and a "cafe"
variant where 1-3 talkers are close and the rest a low crowd 10-25 dB
under them. 48 kHz mono WAV at -25 dBFS RMS, like the noise corpus.

Talkers come from speech/manifest.jsonl (TTS rows only): every 10th
utterance feeds the dev split, the rest train, so a development set never
shares a recording with training. Opt-in: build_noise.py's own babble type
(3-8 talkers) is unchanged.

  /usr/bin/python3 ai/data/build_babble.py [--minutes 10] [--dev-minutes 2] [--seed 1] [--small]
Writes <root>/babble/{wav/*.wav,manifest.jsonl}.
"""
import argparse
import multiprocessing as mp
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment as A  # noqa: E402
import common as C  # noqa: E402

CLIP_S = 10.0
RMS_DB = -25.0
SHARED = {}


def _speed(rng, x, octaves):
    f = 2.0 ** float(rng.uniform(-octaves, octaves))
    n = max(2, int(len(x) / f))
    return np.interp(np.arange(n) * f, np.arange(len(x)), x), f


def do_clip(job):
    split, k, seed, dur, root = job
    rng = C.rng_for(seed, "babble", split, k)
    talkers = SHARED[split]
    n = int(dur * C.RATE)
    cafe = rng.random() < 0.35
    count = int(rng.integers(4, 21))
    pick = rng.choice(len(talkers), size=min(count, len(talkers)), replace=False)
    near = int(rng.integers(1, 4)) if cafe else 0
    crowd_db = float(rng.uniform(-25, -10)) if cafe else 0.0
    x = np.zeros(n)
    used = []
    for j, i in enumerate(sorted(int(v) for v in pick)):
        tid, s = talkers[i]
        s, f = _speed(rng, s, 0.4)
        seg = A.fit_noise(rng, s, n)
        if rng.random() < 0.33:
            seg, _ = A.reverberate(seg, A.synth_rir(rng, C.RATE, float(rng.uniform(0.3, 1.0))), C.RATE)
        g = float(rng.uniform(-8, 8)) + (0.0 if j < near or not cafe else crowd_db)
        x += seg / (np.sqrt(np.mean(seg ** 2)) + 1e-12) * 10 ** (g / 20)
        used.append({"talker": tid, "speed": round(f, 4), "gain_db": round(g, 2)})
    y = x * 10 ** ((RMS_DB - C.rms_db(x)) / 20)
    pk = float(np.max(np.abs(y)))
    if pk > 0.99:
        y *= 0.99 / pk
    rid = "babble-%s-%04d" % (split, k)
    rel = "babble/wav/%s.wav" % rid
    C.write_wav(os.path.join(root, rel), y, C.RATE)
    return {"id": rid, "path": rel, "split": split, "source": "synthetic", "type": "babble_crowd",
            "package": "none (training TTS speech)", "cafe": cafe, "talkers": used,
            "duration_s": round(n / C.RATE, 6), "sample_rate": C.RATE,
            "sha256": C.sha256_file(os.path.join(root, rel))}


def build(root, seed, minutes, dev_minutes, small, jobs):
    man = os.path.join(root, "speech/manifest.jsonl")
    if not os.path.exists(man):
        sys.exit("%s missing: run build_speech.py first" % man)
    rows = [r for r in C.read_manifest(man) if r["source"] == "tts"]
    for split in ("train", "dev"):
        sel = [r for i, r in enumerate(rows) if (i % 10 == 0) == (split == "dev")]
        SHARED[split] = [(r["id"], C.read_wav(os.path.join(root, r["path"]))[0]) for r in sel]
        if not SHARED[split]:
            SHARED[split] = [(r["id"], C.read_wav(os.path.join(root, r["path"]))[0]) for r in rows]
    shutil.rmtree(os.path.join(root, "babble"), ignore_errors=True)
    dur = 3.0 if small else CLIP_S
    counts = {"train": 2 if small else max(1, int(round(minutes * 60 / dur))),
              "dev": 1 if small else max(1, int(round(dev_minutes * 60 / dur)))}
    specs = [(s, k, seed, dur, root) for s in ("train", "dev") for k in range(counts[s])]
    with mp.get_context("fork").Pool(jobs) as pool:
        out = list(pool.imap(do_clip, specs))
    C.write_manifest(os.path.join(root, "babble/manifest.jsonl"), out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--dev-minutes", type=float, default=2.0)
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    root = C.out_root(a.out)
    rows = build(root, a.seed, a.minutes, a.dev_minutes, a.small, a.jobs)
    C.log("babble: %d clips (%d cafe), %.1f min -> %s/babble" % (
        len(rows), sum(r["cafe"] for r in rows), sum(r["duration_s"] for r in rows) / 60, root))


if __name__ == "__main__":
    main()
