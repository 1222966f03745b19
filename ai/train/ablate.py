"""Ablations on the smoke task (ai/train/smoke.py): recurrent cell, input
activation, training loss, between-layer normalisation. Each variant trains
from the same seeds; validation MSE and MAE are both reported whatever the
training loss was, as mean +- spread over seeds.

    /usr/bin/python3 -m ai.train.ablate --out /tmp/ablate [--steps 200 --seeds 2]

writes ablate.md (a Markdown table) and ablate_val.svg."""
import argparse
import dataclasses
import os
import time

import numpy as np
import torch

from ai.train import smoke, svg
from ai.train.trainer import Trainer

VARIANTS = [
    ("GRU, PReLU, MSE, LayerNorm (baseline)", {}),
    ("LSTM", {"cell": "lstm"}),
    ("SRU", {"cell": "sru"}),
    ("ReLU input layer", {"in_act": "relu"}),
    ("MAE loss", {"loss": "mae"}),
    ("tanh between layers", {"between": "tanh"}),
]


@torch.no_grad()
def metrics(tr):
    tr.model.eval()
    se = ae = n = 0.0
    for x, y in tr.val:
        yy, _ = tr.model(torch.from_numpy(x[None]))
        d = yy[0].numpy() - y
        se += float((d * d).sum())
        ae += float(np.abs(d).sum())
        n += d.size
    return se / n, ae / n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=32)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    rows, curves = [], {}
    for label, change in VARIANTS:
        res = []
        for seed in range(a.seeds):
            cfg = dataclasses.replace(smoke.SMOKE_DEFAULTS, steps=a.steps, hidden=a.hidden,
                                      seed=seed, eval_every=max(1, a.steps // 10),
                                      val_streams=8, **change)
            t0 = time.time()
            tr = Trainer(cfg, smoke.N_IN, smoke.N_OUT, smoke.make_stream)
            tr.train(log=None)
            mse, mae = metrics(tr)
            params = sum(p.numel() for p in tr.model.parameters())
            res.append((mse, mae, time.time() - t0, params))
            if seed == 0:
                curves[label] = tr.history["val"]
            print(f"{label:40s} seed {seed}: val MSE {mse:.5f} MAE {mae:.5f} "
                  f"({time.time() - t0:.0f}s)", flush=True)
        r = np.array(res)
        rows.append((label, r[:, 0].mean(), np.ptp(r[:, 0]) / 2, r[:, 1].mean(),
                     np.ptp(r[:, 1]) / 2, r[:, 2].mean(), int(r[0, 3])))
    cmd = (f"/usr/bin/python3 -m ai.train.ablate --out {a.out} --steps {a.steps} "
           f"--seeds {a.seeds} --hidden {a.hidden}")
    lines = [f"command: `{cmd}`", "",
             "| variant | val MSE | val MAE | train s | params |", "|---|---|---|---|---|"]
    for label, m, dm, e, de, t, p in rows:
        lines.append(f"| {label} | {m:.4f} +- {dm:.4f} | {e:.4f} +- {de:.4f} | {t:.0f} | {p} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "ablate.md"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "ablate_val.svg"), "w") as f:
        f.write(svg.loss_curves(curves, title="validation loss (training loss of each variant)"))
    print(text)


if __name__ == "__main__":
    main()
