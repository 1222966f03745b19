"""Training material for the neural PLC, from the TRAINING speech corpus only
(ai/data/out/speech; never ai/data/out/eval).

Every utterance is encoded with Opus at 24 kbit/s in 20 ms packets through
audio/opus (tests/plc/plc_codec) and decoded twice: with every packet (the
target) and with a drawn loss trace (augment.random_loss_trace: 1-30 % loss,
half Bernoulli, half Gilbert-Elliott bursts of 1-6 packets) where Opus PLC
fills the gaps (the history the concealer sees). Per 10 ms frame we keep the
band log-energies of both, the target's voicing and which frames were lost.

    /usr/bin/python3 -m ai.train.plc.data --codec build/tests/plc_codec \\
        --out ai/data/out/plc/train.npz
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ai.train.plc import dsp

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "ai", "data"))
import augment  # noqa: E402  (ai/data is a script folder, not a package)
from common import read_wav  # noqa: E402

PACKET = 960   # 20 ms at 48 kHz


def rng_for(seed, key):
    h = hashlib.sha256(f"{seed}:plc:{key}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def is_val(utt_id, frac):
    """A fixed share of the training utterances kept for validation."""
    h = hashlib.sha256(("plc-val:" + utt_id).encode()).digest()
    return int.from_bytes(h[:4], "little") / 2 ** 32 < frac


def process(job):
    codec, path, utt_id, seed = job
    x, rate = read_wav(path)
    if rate != dsp.RATE or x.ndim != 1:
        raise ValueError(f"{path}: need 48 kHz mono")
    npk = (len(x) + PACKET - 1) // PACKET
    rng = rng_for(seed, utt_id)
    mask = augment.random_loss_trace(rng, npk)
    with tempfile.TemporaryDirectory() as tmp:
        mp = os.path.join(tmp, "mask")
        with open(mp, "w") as f:
            f.write("".join("1" if m else "0" for m in mask))
        cp, lp = os.path.join(tmp, "c.f32"), os.path.join(tmp, "l.f32")
        subprocess.run([codec, path, mp, cp, lp], check=True)
        c = np.fromfile(cp, dtype=np.float32).astype(np.float64)
        l = np.fromfile(lp, dtype=np.float32).astype(np.float64)
    fc = dsp.features(c).astype(np.float32)
    fl = dsp.features(l).astype(np.float32)
    v = dsp.voicing(c).astype(np.float32)
    lost = np.repeat(mask, 2)[:len(fc)].astype(np.uint8)
    return utt_id, fc, fl, v, lost


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--codec", default=os.path.join(REPO, "build", "tests", "plc_codec"))
    ap.add_argument("--data", default=os.path.join(REPO, "ai", "data", "out"),
                    help="corpus root (reads speech/manifest.jsonl)")
    ap.add_argument("--out", default=os.path.join(REPO, "ai", "data", "out", "plc", "train.npz"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--val-frac", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=0, help="first N utterances only (tests)")
    a = ap.parse_args(argv)
    rows = [json.loads(l) for l in open(os.path.join(a.data, "speech", "manifest.jsonl"))]
    rows = [r for r in rows if r.get("split") == "train"]
    if any("eval" in r["path"].split("/") for r in rows):
        raise SystemExit("refusing: an eval file in the training manifest")
    if a.limit:
        rows = rows[:a.limit]
    jobs = [(a.codec, os.path.join(a.data, r["path"]), r["id"], a.seed) for r in rows]
    t0 = time.time()
    with ProcessPoolExecutor(a.jobs) as ex:
        res = list(ex.map(process, jobs, chunksize=4))
    out = {}
    for split in ("train", "val"):
        sel = [r for r in res if is_val(r[0], a.val_frac) == (split == "val")]
        if not sel:  # tiny runs (--limit) may have no validation utterance
            sel = res[-1:]
        lens = np.array([len(r[1]) for r in sel], dtype=np.int64)
        out[f"{split}_ids"] = np.array([r[0] for r in sel])
        out[f"{split}_offsets"] = np.concatenate([[0], np.cumsum(lens)])
        out[f"{split}_clean"] = np.concatenate([r[1] for r in sel])
        out[f"{split}_lossy"] = np.concatenate([r[2] for r in sel])
        out[f"{split}_voicing"] = np.concatenate([r[3] for r in sel])
        out[f"{split}_lost"] = np.concatenate([r[4] for r in sel])
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    np.savez(a.out, **out)
    n_tr, n_va = len(out["train_clean"]), len(out["val_clean"])
    print(f"{len(res)} utterances, {n_tr} train + {n_va} val frames "
          f"({(n_tr + n_va) / 6000:.1f} min), loss {out['train_lost'].mean():.3f}, "
          f"{time.time() - t0:.0f} s -> {a.out}")


if __name__ == "__main__":
    main()
