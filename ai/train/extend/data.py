"""Training material for the bandwidth extender, from the TRAINING speech
corpus only (ai/data/out/speech; any path under eval/ is refused):

    /usr/bin/python3 -m ai.train.extend.data --speech DIR/speech --out DIR/extend/train.npz

Per utterance and per 10 ms frame: the band log-energies of the full-band
file (the target) and, for each cutoff in dsp.CUTOFFS, of the same file
low-passed there (raised-cosine edge 200-800 Hz wide, drawn per utterance,
as codecs differ), i.e. the model's input. Each utterance's real band
(`band_limit_hz` of the manifest: most TTS is rendered at 16 or 22 kHz)
marks which target bands are real; the trainer ignores the others. Also
writes energy.json: how much of the audio has energy above 8, 12 and 16
kHz. 10 % of the utterances (by hash of the id) are the development split."""
import argparse
import hashlib
import json
import multiprocessing as mp
import os
import sys

import numpy as np

from ai.train.extend import dsp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "data"))
import augment as A  # noqa: E402
import common as C  # noqa: E402


def is_dev(uid):
    return int(hashlib.sha256(uid.encode()).hexdigest()[:8], 16) % 10 == 0


def one(args):
    row, root, seed = args
    x, rate = C.read_wav(os.path.join(os.path.dirname(os.path.abspath(root)), row["path"]))
    assert rate == dsp.RATE, row["path"]
    Xf = dsp.stft(x)
    full = dsp.log_energy(Xf).astype(np.float32)
    P = np.abs(Xf) ** 2
    tot = P.sum() + 1e-30
    frac = {f: float(P[:, f // dsp.BIN_HZ:].sum() / tot) for f in (8000, 12000, 16000)}
    rng = C.rng_for(seed, "extend", row["id"])
    lim = {}
    for fc in dsp.CUTOFFS:
        tr = rng.uniform(200.0, 800.0)
        xl = A.band_limit(x, dsp.RATE, fc, tr)
        lim[fc] = dsp.log_energy(dsp.stft(xl))[:, :dsp.IN_BANDS].astype(np.float32)
    # Highest band whose whole triangle lies inside the file's real band,
    # with 3 % for the resampler's edge.
    real_hz = float(row.get("band_limit_hz") or dsp.RATE / 2) * 0.97
    top = int(min(dsp.NB - 1, (real_hz - 500) // 500))
    return row["id"], full, lim, top, frac, len(x) / rate


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--speech", default="ai/data/out/speech")
    ap.add_argument("--out", default="ai/data/out/extend/train.npz")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    if "/eval" in os.path.abspath(a.speech):
        sys.exit("refusing to train on an evaluation corpus: " + a.speech)
    rows = C.read_manifest(os.path.join(a.speech, "manifest.jsonl"))
    with mp.Pool(a.jobs) as pool:
        res = pool.map(one, [(r, a.speech, a.seed) for r in rows], chunksize=4)
    out = {}
    for split in ("train", "dev"):
        sel = [r for r in res if is_dev(r[0]) == (split == "dev")]
        off = np.cumsum([0] + [len(r[1]) for r in sel])
        out[f"{split}_offsets"] = off
        out[f"{split}_full"] = np.concatenate([r[1] for r in sel])
        for fc in dsp.CUTOFFS:
            out[f"{split}_in{fc}"] = np.concatenate([r[2][fc] for r in sel])
        out[f"{split}_top"] = np.array([r[3] for r in sel], dtype=np.int32)
        out[f"{split}_ids"] = np.array([r[0] for r in sel])
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    np.savez(a.out, **out)
    # How much of the corpus really reaches each frequency.
    byid = {r["id"]: r for r in rows}
    rep = {"utterances": len(res), "minutes": sum(r[5] for r in res) / 60.0, "by_source": {}}
    for r in res:
        row = byid[r[0]]
        key = f"{row.get('engine', row.get('source'))}@{int(row.get('band_limit_hz') or 0)}"
        d = rep["by_source"].setdefault(key, {"n": 0, "minutes": 0.0, "e8k": 0.0, "e12k": 0.0, "e16k": 0.0})
        d["n"] += 1
        d["minutes"] += r[5] / 60.0
        for f, k in ((8000, "e8k"), (12000, "e12k"), (16000, "e16k")):
            d[k] += r[4][f] * r[5] / 60.0   # minute-weighted, averaged below
    for d in rep["by_source"].values():
        for k in ("e8k", "e12k", "e16k"):
            d[k] = d[k] / d["minutes"]
    rep["minutes_reaching"] = {}
    for f in (8000, 12000, 16000):
        rep["minutes_reaching"][str(f)] = sum(
            r[5] for r in res if float(byid[r[0]].get("band_limit_hz") or 0) > f) / 60.0
    with open(os.path.join(os.path.dirname(os.path.abspath(a.out)), "energy.json"), "w") as f:
        json.dump(rep, f, indent=1, sort_keys=True)
    print(json.dumps(rep, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
