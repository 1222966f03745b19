"""Training and development sessions for the speech/music/other classifier,
and their C-computed features.

A session is 6-12 s of what a send path hears: speech (the training speech
corpus with pauses, its room and EQ) alone, over noise (-5..30 dB SNR) or
over music (0..25 dB below the speech); music alone (sometimes with a little
noise); or noise alone (the denoiser's noise beds: synthetic and recorded
training noise, synthetic events, TTS babble). Then a random gain and
sometimes a band limit. Music comes from ai/data/build_music.py: its train
split for training sessions, its dev split (other songs, same soundfont) for
development sessions; development noise and speech are held-out rows of
the same training corpora (every 10th), so nothing here touches ai/data's
eval side.

Labels per 10 ms frame, from the clean parts: SPEECH where the speech
window is within 30 dB of the session's active speech level (dilated by
200 ms, so the gaps between words inside a phrase stay speech), MUSIC where
music is present and not buried (window level at least that of the noise
- 6 dB and above -70 dBFS), else OTHER; frames 30-45 dB under the speech
level outside the dilation are left out (IGNORE) as ambiguous.

Features are the denoiser's (ai/denoise/dsp.h, 72 per frame) computed by
the C code (`parley denoise --train-records --run-floor`), so training sees
what the runtime computes.

    /usr/bin/python3 -m ai.train.classify.data --parley build/bin/parley \\
        --data DATA --out WORK [--minutes 90 --dev-minutes 15 --seed 1]
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
from common import active_level, rng_for, rms_db  # noqa: E402

from ai.train.denoise import data as DN  # noqa: E402

SR, HOP, WIN = 48000, 480, 960
NFEAT = 72
REC = DN.REC
SPEECH, MUSIC, OTHER, IGNORE = 0, 1, 2, -1
CLASSES = ("speech", "music", "other")
SESSIONS_PER_SHARD = 24
WINDOW = np.sin(0.5 * np.pi * np.sin(np.pi * (np.arange(WIN) + 0.5) / WIN) ** 2)


class Corpus(DN.Corpus):
    """The denoiser's corpus (speech, noise by type) plus music, each split
    into a training and a development part."""

    def __init__(self, data, split):
        super().__init__(data)
        keep = (lambda i: i % 10 != 0) if split == "train" else (lambda i: i % 10 == 0)
        self.speech = [r for i, r in enumerate(self.speech) if keep(i)]
        self.noise = {k: [r for i, r in enumerate(v) if keep(i)] or v for k, v in self.noise.items()}
        with open(os.path.join(data, "music", "manifest.jsonl")) as f:
            rows = [json.loads(l) for l in f if l.strip()]
        self.music = [r for r in rows if r["split"] == split]
        if not self.music:
            raise SystemExit("no %s music in %s: run ai/data/build_music.py" % (split, data))


def frame_db(x):
    """Level (dB re full scale) of each frame's analysis window, as the C
    records compute it (the window ending with the frame)."""
    n = len(x) // HOP
    pad = np.concatenate([np.zeros(WIN - HOP), x[:n * HOP]])
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    w = pad[idx] * WINDOW
    return 10 * np.log10(1e-12 + np.mean(w ** 2, axis=1) * 2)


def music_track(rng, corpus, n):
    """Clips of the music corpus back to back (a different song after each),
    sometimes at another speed, EQ'd like a loudspeaker or a room."""
    out = np.zeros(n)
    pos = 0
    while pos < n:
        row = corpus.music[rng.integers(len(corpus.music))]
        x = corpus.wav(row)
        if rng.random() < 0.3:  # another key and tempo, other formants
            x = DN.speed(rng, x, -0.3, 0.3)
        take = min(len(x), n - pos)
        out[pos:pos + take] = x[:take] * 10 ** (rng.uniform(-3, 3) / 20)
        pos += take
    if rng.random() < 0.4:
        out = A.apply_biquads(out, A.random_eq(rng, SR), SR)
    return out


def make_session(rng, corpus):
    n = int(rng.uniform(6.0, 12.0) * SR) // HOP * HOP
    u = rng.random()
    kind = ("speech" if u < 0.3 else "speech_music" if u < 0.5 else "music" if u < 0.75
            else "noise")
    speech = np.zeros(n)
    music = np.zeros(n)
    noise = np.zeros(n)
    info = {"kind": kind}
    if kind.startswith("speech"):
        s = DN.speech_track(rng, corpus, n)
        if rng.random() < 0.5:
            s = A.apply_biquads(s, A.random_eq(rng, SR), SR)
        if rng.random() < 0.35:
            s, _ = A.reverberate(s, A.synth_rir(rng, SR, float(rng.uniform(0.15, 0.8))), SR)
        speech = s
        s_db = active_level(speech, SR)[0]
        if kind == "speech_music":
            m = music_track(rng, corpus, n)
            music = m * 10 ** ((s_db - rng.uniform(0, 25) - rms_db(m)) / 20)
            if rng.random() < 0.3:
                nb = DN.noise_bed(rng, corpus, n)
                noise = nb * 10 ** ((s_db - rng.uniform(10, 35) - rms_db(nb)) / 20)
        elif rng.random() < 0.85:
            nb = DN.noise_bed(rng, corpus, n)
            noise = nb * 10 ** ((s_db - rng.uniform(-5, 30) - rms_db(nb)) / 20)
    elif kind == "music":
        music = music_track(rng, corpus, n)
        if rng.random() < 0.4:
            nb = DN.noise_bed(rng, corpus, n)
            noise = nb * 10 ** ((rms_db(music) - rng.uniform(10, 40) - rms_db(nb)) / 20)
    else:
        noise = DN.noise_bed(rng, corpus, n)
    mix = speech + music + noise
    if rng.random() < 0.2:
        fc = float(rng.choice([4000.0, 8000.0, 12000.0]))
        mix = A.band_limit(mix, SR, fc)
        info["band_limit_hz"] = fc
    r = rms_db(mix)
    g = 10 ** ((rng.uniform(-55.0, -15.0) - r) / 20) if np.isfinite(r) else 1.0
    peak = float(np.max(np.abs(mix * g))) or 1.0
    if peak > 0.99:
        g *= 0.99 / peak
    mix, speech, music, noise = mix * g, speech * g, music * g, noise * g
    lab = labels(speech, music, noise)
    info["frames"] = n // HOP
    return mix.astype(np.float32), speech.astype(np.float32), lab, info


def labels(speech, music, noise):
    n = len(speech) // HOP
    lab = np.full(n, OTHER, np.int8)
    m_db, n_db = frame_db(music), frame_db(noise)
    lab[(m_db > -70) & (m_db >= n_db - 6)] = MUSIC
    if np.any(speech):
        lvl = active_level(speech, SR)[0]
        s_db = frame_db(speech)
        on = s_db > lvl - 30
        amb = (s_db > lvl - 45) & ~on
        dil = np.convolve(on.astype(float), np.ones(41), mode="same") > 0
        lab[amb & ~dil] = IGNORE
        lab[dil] = SPEECH
    return lab


_corpus = {}


def build_shard(args):
    shard, split, seed, data, parley, tmp = args
    if split not in _corpus:
        _corpus[split] = Corpus(data, split)
    corpus = _corpus[split]
    rng = rng_for(seed, "classify-shard", split, shard)
    mixes, cleans, labs, infos = [], [], [], []
    for _ in range(SESSIONS_PER_SHARD):
        a, b, lab, info = make_session(rng, corpus)
        mixes.append(a)
        cleans.append(b)
        labs.append(lab)
        infos.append(info)
    base = os.path.join(tmp, f"{split}{shard:04d}")
    np.concatenate(mixes).tofile(base + ".noisy.f32")
    np.concatenate(cleans).tofile(base + ".clean.f32")
    with open(base + ".segs", "w") as f:
        f.write("\n".join(str(len(m)) for m in mixes) + "\n")
    subprocess.run([parley, "denoise", "--train-records", base + ".noisy.f32", base + ".clean.f32",
                    base + ".rec.f32", "--segments", base + ".segs", "--run-floor"], check=True)
    rec = np.fromfile(base + ".rec.f32", dtype=np.float32)
    frames = sum(len(m) // HOP for m in mixes)
    if rec.size != frames * REC:
        raise RuntimeError(f"shard {shard}: {rec.size} floats from C, expected {frames} x {REC}")
    for ext in (".noisy.f32", ".clean.f32", ".segs", ".rec.f32"):
        os.remove(base + ext)
    return rec.reshape(frames, REC)[:, :NFEAT].copy(), np.concatenate(labs), infos


def build(out, data, parley, minutes, dev_minutes, seed=1, jobs=2, log=print):
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    meta = {"seed": seed, "data": data, "splits": {}}
    for split, mins in (("train", minutes), ("dev", dev_minutes)):
        shards = max(1, int(round(mins * 60 / 9.0 / SESSIONS_PER_SHARD)))
        with tempfile.TemporaryDirectory(prefix="cls-shards-") as tmp:
            tasks = [(i, split, seed, data, parley, tmp) for i in range(shards)]
            with Pool(jobs) as pool:
                res = pool.map(build_shard, tasks, chunksize=1)
        feats = np.concatenate([r[0] for r in res])
        labs = np.concatenate([r[1] for r in res])
        sessions, start = [], 0
        for _, _, infos in res:
            for info in infos:
                info["start"] = start
                start += info["frames"]
                sessions.append(info)
        np.save(os.path.join(out, f"{split}_feats.npy"), feats)
        np.save(os.path.join(out, f"{split}_labels.npy"), labs)
        counts = {c: int((labs == i).sum()) for i, c in enumerate(CLASSES)}
        counts["ignored"] = int((labs == IGNORE).sum())
        meta["splits"][split] = {"minutes": mins, "frames": int(len(labs)), "labels": counts,
                                 "sessions": sessions}
        log(f"{split}: {len(sessions)} sessions, {len(labs) / 6000:.1f} min, labels {counts}, "
            f"{time.time() - t0:.0f} s")
    with open(os.path.join(out, "sessions.json"), "w") as f:
        json.dump(meta, f)
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data", default=os.environ.get("PARLEY_DATA")
                    or os.path.join(REPO, "ai", "data", "out"))
    ap.add_argument("--minutes", type=float, default=90.0)
    ap.add_argument("--dev-minutes", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    build(a.out, a.data, a.parley, a.minutes, a.dev_minutes, a.seed, a.jobs)


if __name__ == "__main__":
    main()
