"""Train the learned bandwidth estimator (ai/bwe) on tick logs written by
tests/bench/bwe_gen.c and export it as a PLMD model:

    /usr/bin/python3 -m ai.train.bwe.train --data /tmp/bwe/gcc_s1.f32 /tmp/bwe/gcc_s2.f32 \\
        --dev /tmp/bwe/dev.f32 --out /tmp/bwe/run      # then copy run/bwe.plmd to ai/models

Imitation of an oracle that knows the link: at every 50 ms tick the label
is what the sender should ask for over the next 500 ms,

    target* = margin x mean capacity(next 500 ms) x max(0.4, 1 - queue / drain)

(queue: the bottleneck's backlog in ms of its current capacity; the second
factor asks for less while a standing queue drains), clipped to the
controller's [min, max], in ln(bps / 1 Mbit/s). Outage ticks carry no label
(the oracle would say "nothing", which teaches nothing the feedback can
show; after the outage the last estimate is the best guess). The loss is
asymmetric: asking for more than the label (a queue, delay, loss) costs
`over` times more than asking for less. Everything is seeded."""
import argparse
import dataclasses
import json
import os
import random
import sys
import time

import numpy as np
import torch

from ai.train.bwe.model import N_FEAT, make_model
from ai.train.export import export_stack

COLS = 3 + N_FEAT + 6
C_T, C_X = 2, 3
C_GCC, C_MODEL, C_OUT, C_CAP, C_CAPN, C_Q = (3 + N_FEAT + i for i in range(6))


@dataclasses.dataclass
class Config:
    hidden: int = 32
    window: int = 300       # ticks per training window (15 s)
    warmup: int = 40        # ticks of each window without loss (state settles)
    batch: int = 64
    steps: int = 1500
    lr: float = 3e-3
    lr_final: float = 2e-4
    margin: float = 0.85
    drain_ms: float = 400.0
    over: float = 2.0
    min_bps: float = 30000.0
    max_bps: float = 2532000.0  # Opus 32 kbit/s + libwebrtc's 2.5 Mbit/s video ceiling
    seed: int = 0
    threads: int = 2


def load(paths):
    """Sequences (x [T, F], y [T], mask [T], raw rows) per (file, run, dir)."""
    seqs = []
    for fi, p in enumerate(paths):
        a = np.fromfile(p, dtype=np.float32).reshape(-1, COLS)
        for key in np.unique(a[:, 0] * 2 + a[:, 1]):
            r = a[a[:, 0] * 2 + a[:, 1] == key]
            r = r[np.argsort(r[:, C_T], kind="stable")]
            seqs.append(r)
    return seqs


def label(r, cfg):
    capn = r[:, C_CAPN].astype(np.float64)
    q = r[:, C_Q].astype(np.float64)
    want = cfg.margin * capn * np.maximum(0.4, 1 - q / cfg.drain_ms)
    want = np.clip(want, cfg.min_bps, cfg.max_bps)
    y = np.log(want / 1e6)
    mask = (r[:, C_CAP] > 0) & (capn > 0) & (r[:, C_T] > 1.0)
    return y.astype(np.float32), mask.astype(np.float32)


def prepare(seqs, cfg):
    """(x, y, mask) per sequence, labelled once."""
    return [(s[:, C_X:C_X + N_FEAT].copy(),) + label(s, cfg) for s in seqs]


def windows(prep, cfg, rng, n):
    xs, ys, ms = [], [], []
    for _ in range(n):
        x, y, m = prep[rng.integers(len(prep))]
        L = len(x)
        w = min(cfg.window, L)
        o = rng.integers(0, L - w + 1)
        mm = m[o:o + w].copy()
        mm[:cfg.warmup] = 0
        pad = cfg.window - w
        xs.append(np.pad(x[o:o + w], ((0, pad), (0, 0))))
        ys.append(np.pad(y[o:o + w], (0, pad)))
        ms.append(np.pad(mm, (0, pad)))
    return (torch.tensor(np.stack(xs)), torch.tensor(np.stack(ys)), torch.tensor(np.stack(ms)))


def loss_fn(pred, y, m, cfg):
    e = pred - y
    w = torch.where(e > 0, torch.full_like(e, cfg.over), torch.ones_like(e))
    return (w * e * e * m).sum() / m.sum().clamp(min=1)


def evaluate(model, seqs, cfg):
    """Whole sequences from zero state, as the C controller runs."""
    tot, n, tot_g = 0.0, 0.0, 0.0
    with torch.no_grad():
        for s in seqs:
            y, m = label(s, cfg)
            x = torch.tensor(s[None, :, C_X:C_X + N_FEAT])
            p, _ = model(x)
            yt, mt = torch.tensor(y)[None], torch.tensor(m)[None]
            tot += float(loss_fn(p[..., 0], yt, mt, cfg)) * float(mt.sum())
            g = torch.tensor(np.log(np.clip(s[:, C_GCC], cfg.min_bps, cfg.max_bps) / 1e6))[None]
            tot_g += float(loss_fn(g.float(), yt, mt, cfg)) * float(mt.sum())
            n += float(mt.sum())
    return tot / max(n, 1), tot_g / max(n, 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", required=True)
    ap.add_argument("--dev", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--init", help="start from this model's weights (a .pt state_dict)")
    for f in dataclasses.fields(Config):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    a = ap.parse_args(argv)
    cfg = Config(**{f.name: getattr(a, f.name) for f in dataclasses.fields(Config)})
    os.makedirs(a.out, exist_ok=True)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    t0 = time.time()
    train, dev = load(a.data), load(a.dev)
    ticks = sum(len(s) for s in train)
    print(f"train: {len(train)} sequences, {ticks} ticks ({ticks / 20 / 3600:.2f} h); "
          f"dev: {len(dev)} sequences", flush=True)
    model = make_model(cfg.hidden)
    if a.init:
        model.load_state_dict(torch.load(a.init))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps, eta_min=cfg.lr_final)
    rng = np.random.default_rng(cfg.seed)
    prep = prepare(train, cfg)
    best, best_state, hist = 1e9, None, []
    for step in range(1, cfg.steps + 1):
        x, y, m = windows(prep, cfg, rng, cfg.batch)
        p, _ = model(x)
        loss = loss_fn(p[..., 0], y, m, cfg)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 250 == 0 or step == cfg.steps:
            dl, dg = evaluate(model, dev, cfg)
            hist.append((step, float(loss), dl, dg))
            print(f"step {step}: train {float(loss):.4f} dev {dl:.4f} (gcc's own target: {dg:.4f}) "
                  f"{time.time() - t0:.0f} s", flush=True)
            if dl < best:
                best, best_state = dl, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    secs = time.time() - t0
    torch.save(best_state, os.path.join(a.out, "bwe.pt"))
    meta = {"bwe.train_ticks": ticks, "bwe.train_sequences": len(train), "bwe.dev_loss": best,
            "bwe.train_seconds": round(secs, 1), "bwe.data": " ".join(os.path.basename(p) for p in a.data),
            "bwe.config": json.dumps(dataclasses.asdict(cfg)), "bwe.features": "ai/train/bwe/model.py"}
    export_stack(model, os.path.join(a.out, "bwe.plmd"), "bwe", "bwe", meta)
    with open(os.path.join(a.out, "history.json"), "w") as f:
        json.dump({"config": dataclasses.asdict(cfg), "history": hist, "seconds": secs,
                   "train_ticks": ticks}, f, indent=1)
    print(f"best dev {best:.4f}; {secs:.0f} s; wrote {a.out}/bwe.plmd", flush=True)


if __name__ == "__main__":
    sys.exit(main())
