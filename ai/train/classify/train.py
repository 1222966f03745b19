"""Train the speech/music/other classifier (docs/classify.md) and export it
as PLMD.

    /usr/bin/python3 -m ai.train.classify.train --work WORK --out ai/models/classify.plmd

WORK holds the sessions of ai.train.classify.data (train_*.npy, dev_*.npy).
Truncated BPTT over B streams of sessions (state carried, zeroed when a
stream moves on), cross-entropy per 10 ms frame with IGNORE frames left
out, classes weighted by the inverse of their frame share. The dev split
(songs, voices and noise rows training never sees) picks the step count
and the width; it prints frame accuracy and the confusion matrix."""
import argparse
import json
import os
import time

import numpy as np
import torch

from ai.train.classify.data import CLASSES, IGNORE
from ai.train.classify.model import export, make_net
from ai.train.export import run_metadata
from ai.train.trainer import seed_everything


def sessions(work, split):
    with open(os.path.join(work, "sessions.json")) as f:
        meta = json.load(f)
    x = np.load(os.path.join(work, f"{split}_feats.npy"))
    y = np.load(os.path.join(work, f"{split}_labels.npy")).astype(np.int64)
    return [(x[s["start"]:s["start"] + s["frames"]], y[s["start"]:s["start"] + s["frames"]], s)
            for s in meta["splits"][split]["sessions"]]


def confusion(net, sess, mu, sd):
    """3x3 counts: rows true class, columns predicted (argmax)."""
    cm = np.zeros((3, 3), np.int64)
    net.eval()
    with torch.no_grad():
        for x, y, _ in sess:
            out, _ = net((torch.from_numpy(x)[None] - mu) / sd)
            p = out[0].argmax(-1).numpy()
            k = y != IGNORE
            np.add.at(cm, (y[k], p[k]), 1)
    net.train()
    return cm


def fmt_cm(cm):
    acc = np.trace(cm) / max(1, cm.sum())
    rows = [f"frame accuracy {100 * acc:.2f} % over {cm.sum()} frames (rows true, cols predicted)"]
    rows.append("           " + " ".join(f"{c:>8s}" for c in CLASSES) + "   recall")
    for i, c in enumerate(CLASSES):
        rows.append(f"  {c:8s} " + " ".join(f"{v:8d}" for v in cm[i]) +
                    f"   {100 * cm[i, i] / max(1, cm[i].sum()):6.2f} %")
    return "\n".join(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--hidden", type=int, default=48)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=200)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--lr-end", type=float, default=1e-4)
    ap.add_argument("--val-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    seed_everything(a.seed)
    train, dev = sessions(a.work, "train"), sessions(a.work, "dev")
    X = np.concatenate([s[0] for s in train])
    Y = np.concatenate([s[1] for s in train])
    mean = X.mean(axis=0).astype(np.float64)
    std = np.maximum(X.std(axis=0), 0.05).astype(np.float64)
    share = np.array([(Y == i).mean() for i in range(3)])
    w = torch.tensor((1.0 / 3) / np.maximum(share, 1e-3), dtype=torch.float32)
    del X, Y
    mu = torch.from_numpy(mean.astype(np.float32))
    sd = torch.from_numpy(std.astype(np.float32))
    print(f"train {len(train)} sessions, dev {len(dev)}; class shares {np.round(share, 3)}",
          flush=True)
    net = make_net(a.hidden, a.layers)
    nparam = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (a.lr_end + 0.5 * (a.lr - a.lr_end) *
                        (1 + np.cos(np.pi * min(s, a.steps) / a.steps))) / a.lr)
    lossf = torch.nn.CrossEntropyLoss(weight=w, ignore_index=IGNORE)
    rng = np.random.default_rng(a.seed + 1)
    pool = [s for s in train if len(s[0]) >= a.chunk]
    slot, pos = [None] * a.batch, [0] * a.batch
    state = None
    t0 = time.time()
    hist = []
    for step in range(1, a.steps + 1):
        xs, ys, keep = [], [], []
        for i in range(a.batch):
            k = 1.0
            if slot[i] is None or pos[i] + a.chunk > len(slot[i][0]):
                slot[i], pos[i], k = pool[rng.integers(len(pool))], 0, 0.0
            p = pos[i]
            xs.append(slot[i][0][p:p + a.chunk])
            ys.append(slot[i][1][p:p + a.chunk])
            keep.append(k)
            pos[i] = p + a.chunk
        x = (torch.from_numpy(np.stack(xs)) - mu) / sd
        y = torch.from_numpy(np.stack(ys))
        kt = torch.tensor(keep).view(1, -1, 1)
        if state is not None:
            state = [s * kt for s in state]
        out, state = net(x, state)
        state = [s.detach() for s in state]
        loss = lossf(out.reshape(-1, 3), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        hist.append(float(loss))
        if step % 100 == 0:
            print(f"step {step} loss {np.mean(hist[-100:]):.4f} {time.time() - t0:.0f} s", flush=True)
        if step % a.val_every == 0 or step == a.steps:
            cm = confusion(net, dev, mu, sd)
            print(f"step {step}  train loss {np.mean(hist[-50:]):.4f}  dev accuracy "
                  f"{100 * np.trace(cm) / cm.sum():.2f} %  {time.time() - t0:.0f} s", flush=True)
    t_train = time.time() - t0
    cm = confusion(net, dev, mu, sd)
    print("dev " + fmt_cm(cm), flush=True)
    m = run_metadata({"seed": a.seed, "steps": a.steps, "train_seconds": f"{t_train:.0f}",
                      "dev_accuracy": f"{np.trace(cm) / cm.sum():.5f}",
                      "dev_confusion": json.dumps(cm.tolist()),
                      "train_config": json.dumps(vars(a), separators=(",", ":"), sort_keys=True)})
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    export(net, mean, std, a.out, m)
    print(f"wrote {a.out}: {nparam} parameters, {t_train:.0f} s", flush=True)


if __name__ == "__main__":
    main()
