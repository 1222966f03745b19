"""Train the bandwidth-extension model (model.py) on ai.train.extend.data's
material and export it for ai/extend:

    /usr/bin/python3 -m ai.train.extend.train --data DIR/extend/train.npz --out DIR/extend/run

Examples are windows of `seq` frames of one utterance at one cutoff (4, 6
or 8 kHz, drawn; only utterances whose real band reaches past the cutoff);
the recurrent state is carried from a zero start, as the stage starts. The
loss is the squared error in dB of the predicted band log-energies of the
same window (the stage plays the input 10 ms late to meet its added band;
--offset 1, the next window, is the zero-delay variant, 2.7 dB worse on the
dev split at 300 steps: 11.07 against 8.39) on the bands from the
cutoff to the utterance's real band edge (at most 15 kHz: no training
speech reaches higher, see docs/bwe.md), frames more than 40 dB under
the utterance's loudest weighted 0.25. Above the trained bands the stage
continues the top trained band with the slope measured on the training
targets (`extend.top_band`, `extend.slope`). Level augmentation +-15 dB is
exact (everything is relative to the input level). Seeded: two CPU runs give
the same weights."""
import argparse
import dataclasses
import json
import os
import random
import time
import warnings

import numpy as np
import torch
from torch import nn

from ai.train import svg
from ai.train.export import export, run_metadata
from ai.train.extend import dsp
from ai.train.extend.model import ExtendNet, N_OUT, N_STD

INT8 = ()  # f32: the model is small (see docs/bwe.md)
TOP_BAND = 30  # 15 kHz: the highest band any training utterance really has


@dataclasses.dataclass
class Config:
    hidden: int = 64
    seq: int = 48
    batch: int = 48
    steps: int = 3000
    lr: float = 3e-3
    lr_final: float = 1e-4
    offset: int = 0            # target window: 0 = the analysed one (the stage delays the input to meet it)
    inactive_weight: float = 0.25
    gain_db: float = 15.0
    eval_every: int = 250
    seed: int = 0
    threads: int = 1


class Split:
    def __init__(self, d, split, inactive_weight=0.25):
        self.inactive_weight = inactive_weight
        self.full = d[f"{split}_full"].astype(np.float64)
        self.inp = {fc: d[f"{split}_in{fc}"].astype(np.float64) for fc in dsp.CUTOFFS}
        self.off = d[f"{split}_offsets"]
        self.top = d[f"{split}_top"]
        self.ids = d[f"{split}_ids"]
        # Features of every frame at every cutoff, computed once.
        self.x, self.ref = {}, {}
        for fc in dsp.CUTOFFS:
            self.x[fc], self.ref[fc] = dsp.features(self.inp[fc], fc)
        self.lens = np.diff(self.off)
        self.valid = {fc: [u for u in range(len(self.top)) if min(self.top[u], TOP_BAND) >= fc // 500]
                      for fc in dsp.CUTOFFS}
        # Loudness of each frame over 0-4 kHz (what every version has).
        e = np.log10(np.sum(10.0 ** self.full[:, :8], axis=1))
        self.active = np.zeros(len(e), np.float32)
        for u in range(len(self.off) - 1):
            s = e[self.off[u]:self.off[u + 1]]
            self.active[self.off[u]:self.off[u + 1]] = s >= s.max() - 4.0

    def utts(self, fc):
        return self.valid[fc]

    def example(self, u, fc, t, T, off):
        """Rows t .. t+T-1 of utterance u: raw x [T, N_IN], mask [T, 16],
        target rel [T, N_OUT], target weight [T, N_OUT]."""
        a, b = self.off[u], self.off[u + 1]
        rows = a + t + np.arange(T)
        x, ref = self.x[fc][rows].copy(), self.ref[fc][rows]
        trow = np.minimum(rows + off, b - 1)
        tgt = self.full[trow, dsp.OUT_LO:dsp.OUT_HI + 1] - ref[:, None]
        nu = dsp.usable_bands(fc)
        mask = np.zeros((T, dsp.IN_BANDS))
        mask[:, :nu] = 1.0
        bw = np.zeros(N_OUT)
        lo, hi = fc // 500, min(self.top[u], TOP_BAND)
        bw[lo - dsp.OUT_LO:hi - dsp.OUT_LO + 1] = 1.0
        fw = np.where(self.active[trow] > 0, 1.0, self.inactive_weight)
        return x, mask, tgt, bw[None, :] * fw[:, None], ref


def stats(sp, rng, n=600):
    """Standardisation of inputs and targets from drawn training frames."""
    xs, ts, ws = [], [], []
    for _ in range(n):
        fc = dsp.CUTOFFS[rng.integers(len(dsp.CUTOFFS))]
        us = sp.utts(fc)
        u = us[rng.integers(len(us))]
        L = sp.off[u + 1] - sp.off[u]
        x, m, t, w, _ = sp.example(u, fc, 0, L, 1)
        xs.append(np.concatenate([np.where(m > 0, x[:, :16], np.nan), x[:, 16:17]], 1))
        ts.append(np.where(w >= 1, t, np.nan))
    X = np.concatenate(xs)
    Tt = np.concatenate(ts)
    with warnings.catch_warnings():  # columns no frame reaches are NaN: handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        fm, fs = np.nanmean(X, 0), np.nanstd(X, 0)
        om, os_ = np.nanmean(Tt, 0), np.nanstd(Tt, 0)
    # Bands no training target reaches keep the last trained band's numbers.
    for arr in (om, os_):
        last = TOP_BAND - dsp.OUT_LO
        arr[last + 1:] = arr[last]
    return (np.nan_to_num(fm), np.maximum(np.nan_to_num(fs, nan=1.0), 1e-2),
            om, np.maximum(os_, 1e-2))


def top_slope(sp):
    """Mean decline (log10 per band) of the training targets over the top
    2 kHz they reach (the 15 kHz utterances' 11-15 kHz), for extrapolation."""
    us = [u for u in range(len(sp.top)) if sp.top[u] >= TOP_BAND]
    d = []
    for u in us:
        r = slice(sp.off[u], sp.off[u + 1])
        f = sp.full[r][sp.active[r] > 0]
        d.append((f[:, TOP_BAND] - f[:, TOP_BAND - 8]) / 8.0)
    return float(np.mean(np.concatenate(d)))


def draw(sp, rng, n, cfg):
    X, M, Y, W = [], [], [], []
    for _ in range(n):
        fc = dsp.CUTOFFS[rng.integers(len(dsp.CUTOFFS))]
        us = sp.utts(fc)
        lens = sp.lens[us].astype(float)
        u = us[rng.choice(len(us), p=lens / lens.sum())]
        L = sp.off[u + 1] - sp.off[u]
        t = rng.integers(0, max(1, L - cfg.seq))
        T = min(cfg.seq, L - t)
        x, m, y, w, _ = sp.example(u, fc, t, T, cfg.offset)
        g = rng.uniform(-cfg.gain_db, cfg.gain_db) / 10.0
        x[:, dsp.IN_BANDS] += g          # exact: bands and target are relative
        if T < cfg.seq:
            pad = cfg.seq - T
            x = np.pad(x, ((0, pad), (0, 0)))
            m = np.pad(m, ((0, pad), (0, 0)))
            y = np.pad(y, ((0, pad), (0, 0)))
            w = np.pad(w, ((0, pad), (0, 0)))
        X.append(x), M.append(m), Y.append(y), W.append(w)
    f = lambda a: torch.from_numpy(np.stack(a).astype(np.float32))
    return f(X), f(M), f(Y), f(W)


def loss_fn(model, x, m, y, w, cfg):
    z = model.normalise(x, m)
    p, _ = model(z)
    pd = (p * model.out_std + model.out_mean) * 10.0       # dB relative to the level
    yd = y * 10.0
    return ((pd - yd) ** 2 * w).sum() / w.sum().clamp(min=1.0)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(cfg, data_path, out_dir, log=print):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    d = np.load(data_path)
    tr, dv = Split(d, "train", cfg.inactive_weight), Split(d, "dev", cfg.inactive_weight)
    rng = np.random.default_rng(cfg.seed + 1)
    fm, fs, om, osd = stats(tr, np.random.default_rng(cfg.seed + 3))
    slope = top_slope(tr)
    model = ExtendNet(cfg.hidden)
    with torch.no_grad():
        model.feat_mean.copy_(torch.from_numpy(fm))
        model.feat_std.copy_(torch.from_numpy(fs))
        model.out_mean.copy_(torch.from_numpy(om))
        model.out_std.copy_(torch.from_numpy(osd))
    val = draw(dv, np.random.default_rng(cfg.seed + 7919), 256, cfg)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: cfg.lr_final / cfg.lr + (1 - cfg.lr_final / cfg.lr) * 0.5 * (1 + np.cos(np.pi * min(s, cfg.steps) / cfg.steps)))
    hist = {"train": [], "val": []}
    with torch.no_grad():
        v0 = float(loss_fn(model, *val, cfg))
    hist["val"].append((0, v0 ** 0.5))
    log(f"val band RMS dB at start (mean predictor) {v0 ** 0.5:.2f}")
    t0 = time.time()
    for step in range(1, cfg.steps + 1):
        x, m, y, w = draw(tr, rng, cfg.batch, cfg)
        loss = loss_fn(model, x, m, y, w, cfg)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        hist["train"].append((step, float(loss) ** 0.5))
        if step % cfg.eval_every == 0 or step == cfg.steps:
            with torch.no_grad():
                v = float(loss_fn(model, *val, cfg)) ** 0.5
            hist["val"].append((step, v))
            log(f"step {step:5d} train {float(loss) ** 0.5:.2f} dB val {v:.2f} dB {time.time() - t0:.0f}s")
    elapsed = time.time() - t0
    model.eval()
    with open(os.path.join(out_dir, "curves.svg"), "w") as f:
        f.write(svg.loss_curves({"train": hist["train"][::10], "validation (dev)": hist["val"]},
                                title="bandwidth extension: band RMS error (dB)"))
    meta = run_metadata({
        "seed": cfg.seed, "steps": cfg.steps, "train_seconds": f"{elapsed:.0f}",
        "val_band_rms_db": f"{hist['val'][-1][1]:.4f}",
        "train_config": json.dumps(dataclasses.asdict(cfg), separators=(",", ":")),
        "data": os.path.basename(data_path),
        "extend.hidden": cfg.hidden, "extend.offset": cfg.offset,
        "extend.top_band": TOP_BAND, "extend.slope": f"{slope:.6f}",
    })
    path = os.path.join(out_dir, "extend.plmd")
    export(path, "extend", "extend", model.tensors(), dict(meta, weights="f32"))
    torch.save(model.state_dict(), os.path.join(out_dir, "extend.pt"))
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    log(f"done in {elapsed:.0f} s -> {path} (slope {slope:.4f} log10/band)")
    return model, slope


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="ai/data/out/extend/train.npz")
    ap.add_argument("--out", default="ai/data/out/extend/run")
    for f in dataclasses.fields(Config):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    a = ap.parse_args(argv)
    cfg = Config(**{f.name: getattr(a, f.name) for f in dataclasses.fields(Config)})
    train(cfg, a.data, a.out)


if __name__ == "__main__":
    main()
