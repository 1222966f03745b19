"""Train the neural PLC model (ai/train/plc/model.py) on the material from
ai.train.plc.data and export it for ai/plc:

    /usr/bin/python3 -m ai.train.plc.train --data ai/data/out/plc/train.npz \\
        --out ai/data/out/plc/run            # add --device cuda on a GPU

Each example is a window of K history frames (the Opus-decoded audio with
earlier losses filled by Opus PLC, as a call's history looks) followed by M
lost frames; the model starts from zero state, as the C concealer does when a
loss begins, and learns to predict the next frame's band log-energies (from
the loss-free decode) and voicing at every step. History steps count with a
small weight (they are the one-frame-lost case), lost steps with weight 1.
Everything is seeded; two runs with the same flags give the same weights on
CPU."""
import argparse
import dataclasses
import json
import os
import random
import time

import numpy as np
import torch
from torch import nn

from ai.train import svg
from ai.train.export import export, run_metadata
from ai.train.plc import dsp
from ai.train.plc.model import NB, N_IN, PlcNet


# Weight matrices stored as int8 with per-row scales (4x smaller; ai/nn
# runs them at the f32 speed); biases, PReLU-free, and standardisation stay f32.
INT8 = ("fc_in.weight", "gru1.weight_ih_l0", "gru1.weight_hh_l0",
        "gru2.weight_ih_l0", "gru2.weight_hh_l0", "fc_out.weight")


@dataclasses.dataclass
class Config:
    hidden: int = 128
    context: int = 16        # K: history frames the C side warms up on
    lost: int = 12           # M: lost frames per example (120 ms)
    batch: int = 128
    steps: int = 3000
    lr: float = 2e-3
    lr_final: float = 1e-4   # cosine decay to this
    hist_weight: float = 0.2
    inactive_weight: float = 0.25  # target frames > 40 dB below the utterance's loudest
    voice_weight: float = 0.5
    gain_db: tuple = (-12.0, 6.0)
    eval_every: int = 250
    val_windows: int = 4096
    seed: int = 0
    threads: int = 2
    device: str = "cpu"


class Windows:
    """Draws (input, target band, target voicing, weight) windows."""

    def __init__(self, d, split, cfg, mean, std):
        self.cfg = cfg
        self.clean = d[f"{split}_clean"].astype(np.float64)
        self.lossy = d[f"{split}_lossy"].astype(np.float64)
        self.voice = d[f"{split}_voicing"].astype(np.float32)
        self.lostf = d[f"{split}_lost"].astype(np.float32)
        off = d[f"{split}_offsets"]
        self.mean, self.std = mean, std
        # Active frames, as LSD and STOI count them: within 40 dB of the
        # utterance's loudest frame. Errors elsewhere do not reach either
        # metric (nor much the listener), so they weigh little.
        e = np.log10(np.sum(10.0 ** self.clean[:, :dsp.NB_LOW], axis=1))
        self.active = np.zeros(len(e), dtype=np.float32)
        for u in range(len(off) - 1):
            seg = e[off[u]:off[u + 1]]
            self.active[off[u]:off[u + 1]] = seg >= seg.max() - 4.0
        K, M = cfg.context, cfg.lost
        # Loss onsets t (first lost frame, utterance-relative) whose frame
        # before was received; the window may start before the utterance
        # (silence padding, as at the start of a call).
        starts = []
        for u in range(len(off) - 1):
            n = off[u + 1] - off[u]
            t = np.arange(4, n - M - 1)
            ok = self.lostf[off[u] + t - 1] == 0
            starts.append(off[u] + t[ok])
            starts[-1] = np.stack([starts[-1], np.full(ok.sum(), off[u]),
                                   np.full(ok.sum(), off[u + 1])], 1)
        self.onsets = np.concatenate(starts)

    def draw(self, rng, n):
        cfg = self.cfg
        K, M = cfg.context, cfg.lost
        pick = self.onsets[rng.integers(0, len(self.onsets), n)]
        t, u0 = pick[:, 0], pick[:, 1]
        rows = t[:, None] + np.arange(-K, M + 1)[None, :]          # [n, K+M+1]
        valid = rows >= u0[:, None]
        rows_c = np.where(valid, rows, 0)
        floor = np.log10(dsp.LOG_FLOOR)
        hist = np.where(valid[..., None], self.lossy[rows_c], floor)   # [n, K+M+1, NB]
        tgt = np.where(valid[..., None], self.clean[rows_c], floor)
        concealed = np.where(valid, self.lostf[rows_c], 0.0)
        active = np.where(valid, self.active[rows_c], 0.0)
        voice = np.where(valid, self.voice[rows_c], 0.0)
        # Level augmentation, exact on energies: scale, then re-apply the floor.
        g = rng.uniform(cfg.gain_db[0], cfg.gain_db[1], n)[:, None, None] / 10.0
        def gain(f):
            e = np.maximum(10.0 ** f - dsp.LOG_FLOOR, 0.0) * 10.0 ** g
            return np.log10(e + dsp.LOG_FLOOR)
        hist, tgt = gain(hist), gain(tgt)
        T = K + M
        x = np.zeros((n, T, N_IN), dtype=np.float32)
        feat = hist[:, :T].copy()
        feat[:, K:] = hist[:, K - 1:K]                     # held during the loss
        x[:, :, :NB] = (feat - self.mean) / self.std
        x[:, K:, NB] = 1.0
        x[:, K:, NB + 1] = np.arange(M) / 10.0
        x[:, :K, NB + 2] = concealed[:, :K]
        yb = ((tgt[:, 1:T + 1] - self.mean) / self.std).astype(np.float32)
        yv = voice[:, 1:T + 1].astype(np.float32)
        w = np.full((n, T), cfg.hist_weight, dtype=np.float32)
        w[:, K:] = 1.0
        w *= np.where(active[:, 1:T + 1] > 0, 1.0, cfg.inactive_weight).astype(np.float32)
        return x, yb, yv, w


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def losses(model, x, yb, yv, w, cfg):
    pb, pv, _ = model(x)
    lb = ((pb - yb) ** 2).mean(-1)
    lv = nn.functional.binary_cross_entropy_with_logits(pv, yv, reduction="none")
    return ((lb + cfg.voice_weight * lv) * w).sum() / w.sum(), pb


@torch.no_grad()
def evaluate(model, val, cfg, dev):
    """Band RMS error in dB per lost step (model, and holding the last frame)."""
    model.eval()
    K = cfg.context
    x, yb, yv, w = (torch.from_numpy(a).to(dev) for a in val)
    loss, pb = losses(model, x, yb, yv, w, cfg)
    std = torch.as_tensor(model.feat_std, device=dev)
    err = ((pb - yb) * std * 10.0)[:, K:]                 # dB
    hold = ((x[:, K:, :NB] - yb[:, K:]) * std * 10.0)
    rm = err.pow(2).mean(dim=(0, 2)).sqrt().cpu().numpy()
    rh = hold.pow(2).mean(dim=(0, 2)).sqrt().cpu().numpy()
    model.train()
    return float(loss), rm, rh


def train(cfg, data_path, out_dir, log=print):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    dev = torch.device(cfg.device)
    d = np.load(data_path)
    c = d["train_clean"].astype(np.float64)
    mean = c.mean(0).astype(np.float32)
    std = np.maximum(c.std(0), 1e-3).astype(np.float32)
    tr = Windows(d, "train", cfg, mean, std)
    va = Windows(d, "val", cfg, mean, std)
    val = va.draw(np.random.default_rng(cfg.seed + 7919), cfg.val_windows)
    rng = np.random.default_rng(cfg.seed + 1)
    model = PlcNet(cfg.hidden, mean, std).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: cfg.lr_final / cfg.lr + (1 - cfg.lr_final / cfg.lr) * 0.5 * (1 + np.cos(np.pi * min(s, cfg.steps) / cfg.steps)))
    hist = {"train": [], "val": []}
    v0, rm, rh = evaluate(model, val, cfg, dev)
    hist["val"].append((0, v0))
    log(f"hold baseline, band RMS dB per lost step: {np.round(rh, 2).tolist()}")
    t0 = time.time()
    for step in range(1, cfg.steps + 1):
        x, yb, yv, w = (torch.from_numpy(a).to(dev) for a in tr.draw(rng, cfg.batch))
        loss, _ = losses(model, x, yb, yv, w, cfg)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        hist["train"].append((step, float(loss)))
        if step % cfg.eval_every == 0 or step == cfg.steps:
            v, rm, rh = evaluate(model, val, cfg, dev)
            hist["val"].append((step, v))
            log(f"step {step:5d} train {float(loss):.4f} val {v:.4f} "
                f"dB@1 {rm[0]:.2f} (hold {rh[0]:.2f}) dB@1-10 {rm[:10].mean():.2f} "
                f"(hold {rh[:10].mean():.2f}) {time.time() - t0:.0f}s")
    elapsed = time.time() - t0
    model = model.cpu().eval()
    tr_s = [(s, sum(v for _, v in hist["train"][max(0, i - 19):i + 1]) / len(hist["train"][max(0, i - 19):i + 1]))
            for i, (s, _) in enumerate(hist["train"])]
    with open(os.path.join(out_dir, "curves.svg"), "w") as f:
        f.write(svg.loss_curves({"train (mean of 20)": tr_s, "validation": hist["val"]},
                                title="neural PLC: weighted band MSE + voicing BCE"))
    meta = run_metadata({
        "seed": cfg.seed, "steps": cfg.steps, "train_seconds": f"{elapsed:.0f}",
        "val_loss": f"{hist['val'][-1][1]:.6g}",
        "val_band_rms_db": " ".join(f"{e:.3f}" for e in rm),
        "hold_band_rms_db": " ".join(f"{e:.3f}" for e in rh),
        "train_config": json.dumps(dataclasses.asdict(cfg), separators=(",", ":")),
        "data": os.path.basename(data_path),
        "plc.hidden": cfg.hidden, "plc.context": cfg.context, "plc.bands": NB,
    })
    path = os.path.join(out_dir, "plc.plmd")
    export(path, "plc", "plc", model.tensors(), dict(meta, weights="int8"), int8=INT8)
    export(os.path.join(out_dir, "plc_f32.plmd"), "plc", "plc", model.tensors(),
           dict(meta, weights="f32"))
    torch.save(model.state_dict(), os.path.join(out_dir, "plc.pt"))
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump({"train_seconds": elapsed, "val": hist["val"], "val_rms_db": rm.tolist(),
                   "hold_rms_db": rh.tolist()}, f, indent=1)
    log(f"done in {elapsed:.0f} s -> {path}")
    return model, hist, rm, rh


def reexport(out_dir):
    """Writes plc.plmd / plc_f32.plmd again from plc.pt and meta.json."""
    sd = torch.load(os.path.join(out_dir, "plc.pt"))
    model = PlcNet(sd["fc_in.weight"].shape[0])
    model.load_state_dict(sd)
    with open(os.path.join(out_dir, "meta.json")) as f:
        meta = json.load(f)
    export(os.path.join(out_dir, "plc.plmd"), "plc", "plc", model.tensors(),
           dict(meta, weights="int8"), int8=INT8)
    export(os.path.join(out_dir, "plc_f32.plmd"), "plc", "plc", model.tensors(),
           dict(meta, weights="f32"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="ai/data/out/plc/train.npz")
    ap.add_argument("--out", default="ai/data/out/plc/run")
    for f in dataclasses.fields(Config):
        if f.name == "gain_db":
            continue
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    a = ap.parse_args(argv)
    cfg = Config(**{f.name: getattr(a, f.name) for f in dataclasses.fields(Config) if f.name != "gain_db"})
    train(cfg, a.data, a.out)


if __name__ == "__main__":
    main()
