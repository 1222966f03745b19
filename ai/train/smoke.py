"""The smoke task: predict filtered versions of a noise stream, a problem a
small recurrent net learns in a few dozen steps but only with memory.

    x[t] = 3 channels of white Gaussian noise
    y0[t] = 0.9 y0[t-1] + 0.1 * 3 x0[t]        (one-pole low-pass)
    y1[t] = 0.5 x1[t-2] + 0.5 x2[t-1]          (delays)

    /usr/bin/python3 -m ai.train.smoke --out /tmp/smoke [--steps 60 ...]

writes smoke.plmd (the model, loadable by pl_nn_seq), smoke_loss.svg,
smoke_io.plmd (a test stream x and PyTorch's output y for the C side)
and smoke.json (loss history)."""
import argparse
import json
import os

import numpy as np
import torch

from ai.train.export import export
from ai.train.trainer import Trainer, TrainConfig, add_config_args, config_from_args

N_IN, N_OUT, STREAM = 3, 2, 256


def make_stream(rng, length=STREAM):
    x = rng.standard_normal((length, N_IN)).astype(np.float32)
    y = np.zeros((length, N_OUT), np.float32)
    acc = 0.0
    for t in range(length):
        acc = 0.9 * acc + 0.3 * x[t, 0]
        y[t, 0] = acc
        y[t, 1] = 0.5 * (x[t - 2, 1] if t >= 2 else 0) + 0.5 * (x[t - 1, 2] if t >= 1 else 0)
    return x, y


SMOKE_DEFAULTS = TrainConfig(hidden=24, layers=2, steps=60, batch=16, chunk=32,
                             eval_every=20, lr=1e-2, val_streams=4)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quiet", action="store_true")
    add_config_args(ap, SMOKE_DEFAULTS)
    a = ap.parse_args(argv)
    cfg = config_from_args(a)
    os.makedirs(a.out, exist_ok=True)
    tr = Trainer(cfg, N_IN, N_OUT, make_stream)
    hist = tr.train(log=None if a.quiet else print)
    tr.save_curves(os.path.join(a.out, "smoke_loss.svg"), f"smoke task, {cfg.cell}")
    model_path = tr.export(os.path.join(a.out, "smoke.plmd"), f"smoke-{cfg.cell}", "test",
                           {"task": "smoke: filtered noise"})
    # A fresh test stream and PyTorch's answer, from zero state.
    x, _ = make_stream(np.random.default_rng(cfg.data_seed + 7), 200)
    with torch.no_grad():
        y, _ = tr.model(torch.from_numpy(x[None]))
    export(os.path.join(a.out, "smoke_io.plmd"), "smoke-io", "test",
           {"x": x, "y": y[0].numpy()})
    with open(os.path.join(a.out, "smoke.json"), "w") as f:
        json.dump(hist, f)
    return tr, model_path


if __name__ == "__main__":
    main()
