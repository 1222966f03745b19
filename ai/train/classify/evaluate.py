"""Held-out evaluation of the shipped classifier, through the C runtime
(`parley classify --frames`), on segments no training or development step
used:

  speech        ai/data's eval utterances (alsa-utils, Asterisk, pocketsphinx),
                clean, in held-out noise at 10 and 15 dB SNR (eval/48k/noisy),
                and over held-out music 10-20 dB below;
  music         the music corpus's eval split: songs rendered with TimGM6mb
                (training used FluidR3_GM) and excerpts of pingus-data's
                tracker modules;
  other         the held-out noises (eval/noise: recorded game and desktop
                effects, synthetic alarms, human babble of Asterisk prompts).

Segments are put in one stream in a seeded random order, each at a random
level (+-10 dB), as a call would present them (so every change of class
costs the classifier its reaction time); frames of a speech segment where
the talker is silent (more than 30 dB under its active level, after a 200 ms
dilation) and frames under -60 dBFS are not scored. Prints frame accuracy,
the confusion matrix, accuracy once 0.5 s into each segment, and per
source.

    /usr/bin/python3 -m ai.train.classify.evaluate --parley build/bin/parley --data DATA
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from ai.train.classify.data import HOP, IGNORE, MUSIC, OTHER, frame_db, labels
from ai.train.classify.train import fmt_cm

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "ai", "data"))
from common import read_wav, rng_for, write_wav  # noqa: E402


def rows(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def segments(data, seed):
    rng = rng_for(seed, "classify-eval")
    out = []  # (source, audio, labels)

    def wav(rel):
        x, r = read_wav(os.path.join(data, rel))
        assert r == 48000
        return x.astype(np.float64)

    def cut(x):
        return x[:len(x) // HOP * HOP]

    speech = [r for r in rows(os.path.join(data, "eval", "speech.jsonl")) if r["sample_rate"] == 48000]
    music = [r for r in rows(os.path.join(data, "music", "manifest.jsonl")) if r["split"] == "eval"]
    for r in speech:
        s = cut(wav(r["path"]))
        out.append(("speech clean", s, labels(s, np.zeros_like(s), np.zeros_like(s))))
    for p in rows(os.path.join(data, "eval", "pairs.jsonl")):
        if p["sample_rate"] == 48000 and p["snr_db"] in (10.0, 15.0):
            s = cut(wav(p["clean"]))
            x = cut(wav(p["path"]))[:len(s)]
            lab = labels(s, np.zeros_like(s), np.zeros_like(s))
            out.append((f"speech in {p['noise_type']} noise", x, lab))
    for r in speech:
        s = cut(wav(r["path"]))
        m = wav(music[rng.integers(len(music))]["path"])
        m = np.resize(m, len(s)) * 10 ** (-rng.uniform(10, 20) / 20)  # -25 dBFS: 11-21 dB under
        out.append(("speech over music", s + m, labels(s, m, np.zeros_like(s))))
    for r in music:
        m = cut(wav(r["path"]))
        lab = np.where(frame_db(m) > -60, MUSIC, IGNORE).astype(np.int8)
        out.append(("music " + ("pingus modules" if r["package"] == "pingus-data" else "TimGM6mb"),
                    m, lab))
    for r in rows(os.path.join(data, "eval", "noise.jsonl")):
        n = cut(wav(r["path"]))
        lab = np.where(frame_db(n) > -60, OTHER, IGNORE).astype(np.int8)
        out.append((f"other: {r['type']}", n, lab))
    order = rng.permutation(len(out))
    return [out[i] for i in order], rng


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", help="a PLMD instead of the built-in model")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    segs, rng = segments(a.data, a.seed)
    xs, labs, src, since, seg_id = [], [], [], [], []
    for name, x, lab in segs:
        g = 10 ** (rng.uniform(-10, 10) / 20)
        x = x * g
        pk = np.max(np.abs(x))
        if pk > 0.99:
            x *= 0.99 / pk
        xs.append(x)
        labs.append(lab)
        src += [name] * len(lab)
        since.append(np.arange(len(lab)))
        seg_id.append(np.full(len(lab), len(seg_id)))
    x = np.concatenate(xs)
    y = np.concatenate(labs)
    since = np.concatenate(since)
    seg_id = np.concatenate(seg_id)
    src = np.array(src)
    with tempfile.TemporaryDirectory() as tmp:
        w = os.path.join(tmp, "eval.wav")
        write_wav(w, x, 48000, "float")
        csv = os.path.join(tmp, "frames.csv")
        cmd = [a.parley, "classify", "--frames", csv, w] + (["--model", a.model] if a.model else [])
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        p = np.loadtxt(csv, delimiter=",", skiprows=1)[:, 1:]
    pred = p[:len(y)].argmax(axis=1)
    k = y != IGNORE
    cm = np.zeros((3, 3), np.int64)
    np.add.at(cm, (y[k].astype(int), pred[k]), 1)
    print(f"held-out: {len(segs)} segments, {len(x) / 48000 / 60:.1f} min, "
          f"{int((~k).sum())} frames not scored")
    print(fmt_cm(cm))
    rec = np.diag(cm) / np.maximum(1, cm.sum(axis=1))
    print(f"mean recall over the three classes (balanced accuracy): {100 * rec.mean():.2f} %")
    k2 = k & (since >= 50)
    print(f"from 0.5 s into each segment: {100 * np.mean(pred[k2] == y[k2]):.2f} % "
          f"over {int(k2.sum())} frames")
    # Per segment: the class with the highest mean probability over its
    # scored frames (what a decision smoothed over the segment would say).
    right, total = np.zeros(3), np.zeros(3)
    for i in range(len(segs)):
        m = k & (seg_id == i)
        if m.any():
            t = int(np.bincount(y[m].astype(int), minlength=3).argmax())
            total[t] += 1
            right[t] += int(p[:len(y)][m].mean(axis=0).argmax() == t)
    print("segments right (mean probability): " + ", ".join(
        f"{c} {int(right[j])}/{int(total[j])}" for j, c in enumerate(("speech", "music", "other"))))
    print("per source (frames, accuracy):")
    for s in sorted(set(src)):
        m = k & (src == s)
        if m.any():
            print(f"  {s:34s} {int(m.sum()):7d}  {100 * np.mean(pred[m] == y[m]):6.2f} %")
    return cm


if __name__ == "__main__":
    main()
