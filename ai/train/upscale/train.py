"""Trains the luma upscaler (ai/upscale) on the pairs ai.train.upscale.data
made, reports development-split PSNR-Y against the bicubic base, exports
PLMD.

  /usr/bin/python3 -m ai.train.upscale.train --data /work/wt/sr-data --scale 2 \
      --channels 16 --depth 1 --minutes 20 --out /tmp/up

Each step draws a batch of low-res patches, each from one of the coding
conditions (clean, VP8 300/500/800 kbit/s; COND_P), flipped
and transposed at random; the loss is L1 on the high-res luma in [0, 1].
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

from ai.train.export import export, module_tensors, run_metadata
from ai.train.upscale.common import UpscaleNet, psnr
from ai.train.upscale.data import RATES


# Clean pictures weigh most: on them the gain over bicubic is hardest won
# and the coded ones teach restraint (not sharpening blocks) at any share.
COND_P = [0.4, 0.15, 0.25, 0.2]


def load(d):
    hr = np.load(os.path.join(d, "train_hr.npy"))
    lr = {r: np.load(os.path.join(d, "train_lr_%d.npy" % r)) for r in RATES}
    dhr = np.load(os.path.join(d, "dev_hr.npy"))
    dlr = {r: np.load(os.path.join(d, "dev_lr_%d.npy" % r)) for r in RATES}
    return hr, lr, dhr, dlr


def batch(hr, lr, rng, n):
    idx = rng.integers(0, len(hr), n)
    cond = rng.choice(len(RATES), n, p=COND_P)
    x = np.stack([lr[RATES[c]][i] for c, i in zip(cond, idx)]).astype(np.float32) / 255
    y = hr[idx].astype(np.float32) / 255
    if rng.random() < 0.5:
        x, y = x[:, :, ::-1], y[:, :, ::-1]
    if rng.random() < 0.5:
        x, y = x[:, ::-1], y[:, ::-1]
    if rng.random() < 0.5:
        x, y = x.transpose(0, 2, 1), y.transpose(0, 2, 1)
    return (torch.from_numpy(np.ascontiguousarray(x))[:, None],
            torch.from_numpy(np.ascontiguousarray(y))[:, None])


def to_u8(t):
    return (t * 255).round().clamp(0, 255)[:, 0].numpy().astype(np.uint8)


@torch.no_grad()
def evaluate(net, dhr, dlr):
    """Mean PSNR-Y over the development frames per condition, bicubic and
    model, both rounded to 8 bits as the C code writes them."""
    out = {}
    for r in RATES:
        b, m = [], []
        for k in range(len(dhr)):
            x = torch.from_numpy(dlr[r][k:k + 1].astype(np.float32) / 255)[:, None]
            from ai.train.upscale.common import bicubic_t
            b.append(psnr(to_u8(bicubic_t(x, net.scale))[0], dhr[k]))
            m.append(psnr(to_u8(net(x))[0], dhr[k]))
        out[r] = (float(np.mean(b)), float(np.mean(m)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--scale", type=float, default=2)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many (0: time)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", help="start from this state_dict (.pt) instead of scratch")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    scale = 2 if a.scale == 2 else 1.5
    tag = "x2" if scale == 2 else "x1.5"
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    hr, lr, dhr, dlr = load(os.path.join(a.data, "upscale", tag))
    net = UpscaleNet(scale, a.channels, a.depth)
    if a.init:
        net.load_state_dict(torch.load(a.init, map_location="cpu"))
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    t0, step, log = time.time(), 0, []
    budget = a.minutes * 60
    print("model %s C=%d depth=%d: %d MACs per low-res pixel, %d patches" % (
        tag, a.channels, a.depth, net.macs_per_pixel(), len(hr)), flush=True)
    while True:
        frac = step / a.steps if a.steps else (time.time() - t0) / budget
        if frac >= 1:
            break
        for g in opt.param_groups:  # cosine decay to 1 % of the start rate
            g["lr"] = a.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * frac)))
        x, y = batch(hr, lr, rng, a.batch)
        loss = (net(x) - y).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 500 == 0:
            ev = evaluate(net, dhr, dlr)
            row = {"step": step, "s": round(time.time() - t0), "loss": float(loss),
                   "dev": {str(r): [round(v, 3) for v in ev[r]] for r in RATES}}
            log.append(row)
            print(json.dumps(row), flush=True)
    ev = evaluate(net, dhr, dlr)
    os.makedirs(a.out, exist_ok=True)
    meta = run_metadata({"scale": str(scale), "channels": str(a.channels),
                         "depth": str(a.depth), "steps": str(step),
                         "dev_psnr_y": json.dumps({str(r): ev[r] for r in RATES}),
                         "seed": str(a.seed), "init": a.init or ""})
    path = os.path.join(a.out, "upscale_%s.plmd" % tag)
    export(path, "upscale_" + tag, "upscale", module_tensors(net), meta=meta)
    torch.save(net.state_dict(), os.path.join(a.out, "upscale_%s.pt" % tag))
    with open(os.path.join(a.out, "log_%s.json" % tag), "w") as f:
        json.dump({"log": log, "final": {str(r): ev[r] for r in RATES}, "steps": step}, f)
    print("final dev PSNR-Y (bicubic, model):", {r: ev[r] for r in RATES})
    print("wrote", path)


if __name__ == "__main__":
    main()
