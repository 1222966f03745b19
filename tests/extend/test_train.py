#!/usr/bin/python3
"""The extender's training pipeline end to end on a tiny synthetic corpus:
ai.train.extend.data's layout built from a few synthetic 'voices' (with the
real band of each marked, as the manifest does), a few training steps,
export to PLMD, and the C runtime loading that file and matching PyTorch on
it; two runs with the same seed give the same weights.

    /usr/bin/python3 tests/extend/test_train.py --extend-run build/tests/extend_run"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.getcwd())
from ai.train import plmd  # noqa: E402
from ai.train.extend import dsp  # noqa: E402
from ai.train.extend import train as T  # noqa: E402
from ai.train.extend.evaluate import extrapolate  # noqa: E402
from ai.train.extend.model import ExtendNet  # noqa: E402

sys.path.insert(0, os.path.join(os.getcwd(), "ai", "data"))
import augment as A  # noqa: E402


def utterance(rng, secs, top_hz):
    n = int(48000 * secs)
    t = np.arange(n) / 48000.0
    f0 = rng.uniform(90, 220) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.2, 1) * t))
    ph = 2 * np.pi * np.cumsum(f0) / 48000.0
    x = sum(np.sin(k * ph) / k for k in range(1, 120)) * 0.05
    x += 0.01 * rng.standard_normal(n) * (np.sin(2 * np.pi * 1.7 * t) > 0.5)
    return A.band_limit(x, 48000, top_hz, 300.0)


def corpus(path, seed=1):
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", 10), ("dev", 3)):
        fulls, ins, tops = [], {fc: [] for fc in dsp.CUTOFFS}, []
        for u in range(n):
            top_hz = (11025, 16000, 8000)[u % 3]
            x = utterance(rng, 1.5, top_hz)
            fulls.append(dsp.log_energy(dsp.stft(x)).astype(np.float32))
            for fc in dsp.CUTOFFS:
                ins[fc].append(dsp.log_energy(dsp.stft(A.band_limit(x, 48000, fc, 400.0)))[:, :16].astype(np.float32))
            tops.append(int(min(48, (top_hz * 0.97 - 500) // 500)))
        out[f"{split}_offsets"] = np.cumsum([0] + [len(f) for f in fulls])
        out[f"{split}_full"] = np.concatenate(fulls)
        for fc in dsp.CUTOFFS:
            out[f"{split}_in{fc}"] = np.concatenate(ins[fc])
        out[f"{split}_top"] = np.array(tops, np.int32)
        out[f"{split}_ids"] = np.array([f"{split}{i}" for i in range(n)])
    np.savez(path, **out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extend-run", required=True)
    a = ap.parse_args()
    fails = []
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "train.npz")
        corpus(data)
        cfg = T.Config(steps=30, batch=8, seq=24, eval_every=15, threads=1)
        T.train(cfg, data, os.path.join(d, "a"), log=lambda *_: None)
        T.train(cfg, data, os.path.join(d, "b"), log=lambda *_: None)
        _, _, meta, ta = plmd.read(os.path.join(d, "a", "extend.plmd"))
        _, _, _, tb = plmd.read(os.path.join(d, "b", "extend.plmd"))
        same = all(np.array_equal(ta[k], tb[k]) for k in ta)
        print(f"two runs, same seed: identical weights: {same}")
        if not same:
            fails.append("not reproducible")
        for key in ("extend.slope", "extend.top_band", "command", "git_commit", "train_config"):
            if key not in meta:
                fails.append(f"metadata {key} missing")
        # The C runtime on the exported file against PyTorch.
        m = ExtendNet(ta["fc_in.weight"].shape[0])
        m.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ta.items()})
        m.eval()
        dd = np.load(data)
        logE = dd["dev_full"][:100].astype(np.float32)
        logE.tofile(os.path.join(d, "in.f32"))
        subprocess.run([a.extend_run, "predict", os.path.join(d, "a", "extend.plmd"),
                        os.path.join(d, "in.f32"), os.path.join(d, "out.f32"), "8000"], check=True)
        c = np.fromfile(os.path.join(d, "out.f32"), np.float32).reshape(-1, dsp.OUT_BANDS)
        x, r = dsp.features(logE.astype(np.float64), 8000)
        mask = np.zeros((len(x), 16))
        mask[:, :dsp.usable_bands(8000)] = 1
        with torch.no_grad():
            y, _ = m(m.normalise(torch.from_numpy(x[None]).float(), torch.from_numpy(mask[None]).float()))
            y = (y * m.out_std + m.out_mean)[0].numpy().astype(np.float64)
        y = np.minimum(extrapolate(y, float(meta["extend.slope"]), int(meta["extend.top_band"])),
                       dsp.REL_MAX) + r[:, None]
        err = np.abs(c - y).max() / max(1.0, np.abs(y).max())
        print(f"C on the freshly trained file vs PyTorch: max rel error {err:.2e}")
        if not err < 1e-4:
            fails.append("C and PyTorch disagree on the trained file")
    print("FAIL: " + ", ".join(fails) if fails else "ok")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
