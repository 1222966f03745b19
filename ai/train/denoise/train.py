"""Train the noise suppressor (docs/denoise.md) and export it as PLMD.

    /usr/bin/python3 -m ai.train.denoise.train --parley build/bin/parley \\
        --work /tmp/dn --out ai/models/denoise.plmd [--device cuda]

Builds the training records first when --work has none (ai.train.denoise.
data, --minutes of sessions), then trains with truncated BPTT: B streams of
sessions side by side, `chunk` frames per step, the recurrent state carried
from step to step and zeroed when a stream moves to a new session.

Loss per frame, over the bands that hold signal (weights from C):
  gains:  mean (sqrt g - sqrt t)^2 + mean (g - t)^2 (low gains matter)
          + sum share_b (g - t)^2, share_b the band's part of the frame's
          input energy (the error energy SI-SDR sees)
  comb:   target gain-weighted mean (c - t_c)^2
  voice:  binary cross-entropy against the clean window energy being within
          30 dB of the session's active speech level (frames 30-45 dB down
          are left out as ambiguous).
Everything is seeded (python, numpy, torch); on CPU a run is repeatable."""
import argparse
import json
import os
import time

import numpy as np
import torch

from ai.train import svg
from ai.train.denoise import data as D
from ai.train.denoise.model import NB, NFEAT, NOUT, export, make_net
from ai.train.export import run_metadata
from ai.train.trainer import seed_everything

# Record layout (ai/denoise/dsp.h PL_DN_T_*).
T_GAIN = NFEAT
T_COMB = T_GAIN + NB
T_WGAIN = T_COMB + NB
T_WCOMB = T_WGAIN + NB
T_CLEAN_DB = T_WCOMB + NB
T_NOISY_DB = T_CLEAN_DB + 1
REC = T_NOISY_DB + 1
assert REC == D.REC

VAD_ON_DB, VAD_OFF_DB = 30.0, 45.0


CENTRES = np.array([0, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112,
                    128, 160, 192, 240, 320, 400, 480])  # pl_dn_band_centre
_c = np.concatenate([[CENTRES[0]], CENTRES, [CENTRES[-1]]])
WIDTH = np.maximum((_c[2:] - _c[:-2]) / 2, 0.5)


def targets(rec, level_db):
    """(features, packed targets) of a session's records: targets are
    gain[NB] comb[NB] vad wgain[NB] wcomb[NB] wvad wenergy[NB], the last
    each band's share of the frame's input energy (over weighted bands)."""
    x = rec[:, :NFEAT]
    clean = rec[:, T_CLEAN_DB]
    if level_db is None:
        vad = np.zeros(len(rec), np.float32)
        wvad = np.ones(len(rec), np.float32)
    else:
        vad = (clean > level_db - VAD_ON_DB).astype(np.float32)
        wvad = ((clean > level_db - VAD_ON_DB) | (clean < level_db - VAD_OFF_DB)).astype(np.float32)
    wg = rec[:, T_WGAIN:T_WGAIN + NB]
    e = (10.0 ** rec[:, :NB].astype(np.float64)) * WIDTH * wg
    we = (e / np.maximum(e.sum(axis=1, keepdims=True), 1e-30)).astype(np.float32)
    y = np.concatenate([rec[:, T_GAIN:T_GAIN + NB], rec[:, T_COMB:T_COMB + NB], vad[:, None],
                        wg, rec[:, T_WCOMB:T_WCOMB + NB], wvad[:, None], we], axis=1)
    return x, y.astype(np.float32)


def loss_terms(out, y, w_energy=1.0):
    g, c, v = out[..., :NB], out[..., NB:2 * NB], out[..., 2 * NB]
    tg, tc, tv = y[..., :NB], y[..., NB:2 * NB], y[..., 2 * NB]
    wg, wc, wv = y[..., 2 * NB + 1:3 * NB + 1], y[..., 3 * NB + 1:4 * NB + 1], y[..., 4 * NB + 1]
    we = y[..., 4 * NB + 2:5 * NB + 2]
    eps = 1e-8
    dg = (torch.sqrt(g + eps) - torch.sqrt(tg + eps)) ** 2 + (g - tg) ** 2
    lg = (wg * dg).sum() / (wg.sum() + eps)
    # The error energy SI-SDR sees: (g - t)^2 |X|^2, as a share of the frame.
    lg = lg + w_energy * (we * (g - tg) ** 2).sum() / (we.sum() + eps)
    lc = (wc * (c - tc) ** 2).sum() / (wc.sum() + eps)
    vc = v.clamp(1e-6, 1 - 1e-6)
    bce = -(tv * torch.log(vc) + (1 - tv) * torch.log(1 - vc))
    lv = (wv * bce).sum() / (wv.sum() + eps)
    return lg, lc, lv


def total_loss(out, y, w_comb, w_vad, w_energy=1.0):
    lg, lc, lv = loss_terms(out, y, w_energy)
    return lg + w_comb * lc + w_vad * lv, (lg, lc, lv)


class Streams:
    """B stream slots over sessions; next() gives the next chunk of each and
    a keep mask (0 where a slot started a new session)."""

    def __init__(self, sessions, batch, chunk, rng):
        self.s = [x for x in sessions if len(x[0]) >= chunk]
        self.chunk, self.rng = chunk, rng
        self.slot = [None] * batch
        self.pos = [0] * batch

    def next(self):
        xs, ys, keep = [], [], []
        for i in range(len(self.slot)):
            k = 1.0
            if self.slot[i] is None or self.pos[i] + self.chunk > len(self.slot[i][0]):
                self.slot[i] = self.s[self.rng.integers(len(self.s))]
                self.pos[i], k = 0, 0.0
            p = self.pos[i]
            xs.append(self.slot[i][0][p:p + self.chunk])
            ys.append(self.slot[i][1][p:p + self.chunk])
            keep.append(k)
            self.pos[i] = p + self.chunk
        return np.stack(xs), np.stack(ys), np.array(keep, np.float32)


def load_sessions(work, lookahead=0):
    """Sessions of every records directory in `work` (comma-separated):
    sets built with different --data-seed add speakers, noises and mixes.
    With look-ahead the network at step t has seen the features of frame t
    and predicts the targets of frame t - lookahead (ai/denoise/denoise.c
    filters the spectrum it kept from then)."""
    out, minutes = [], 0.0
    for w in work.split(","):
        with open(os.path.join(w, "sessions.json")) as f:
            meta = json.load(f)
        rec = np.load(os.path.join(w, "records.npy"), mmap_mode="r")
        if rec.shape[1] != REC:
            raise ValueError(f"{w}: records have {rec.shape[1]} columns, expected {REC}: rebuild them")
        for s in meta["sessions"]:
            r = np.array(rec[s["start"]:s["start"] + s["frames"]], dtype=np.float32)
            x, y = targets(r, s["level_db"])
            if lookahead:
                x, y = x[lookahead:], y[:-lookahead]
            out.append((x, y))
        minutes += meta["minutes"]
    return {"minutes": minutes}, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True,
                    help="records directory (built if empty); several, comma-separated, are joined")
    ap.add_argument("--out", required=True, help="the model file to write (.plmd)")
    ap.add_argument("--parley", default="build/bin/parley")
    ap.add_argument("--data", default=None, help="ai/data corpus root")
    ap.add_argument("--minutes", type=float, default=240.0, help="session audio to build")
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=160)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lr-end", type=float, default=1e-4, help="cosine decay to this")
    ap.add_argument("--w-comb", type=float, default=0.5)
    ap.add_argument("--w-vad", type=float, default=0.05)
    ap.add_argument("--w-energy", type=float, default=3.0,
                    help="weight of the energy-share gain term (the error SI-SDR sees)")
    ap.add_argument("--val-every", type=int, default=1000)
    ap.add_argument("--lookahead", type=int, default=1, choices=(0, 1),
                    help="frames (10 ms) the network sees beyond the one it filters")
    ap.add_argument("--checkpoint", action="store_true",
                    help="also export the model to WORK/ckpt.plmd at every validation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    seed_everything(a.seed)
    dev = torch.device(a.device)
    t_start = time.time()
    first = a.work.split(",")[0]
    if not os.path.exists(os.path.join(first, "records.npy")):
        D.build(first, a.data or os.path.join(D.REPO, "ai", "data", "out"), a.parley,
                a.minutes, a.data_seed, a.jobs)
    t_data = time.time() - t_start
    meta, sessions = load_sessions(a.work, a.lookahead)
    # Every 25th session is held out to watch over-fitting.
    val = sessions[::25]
    train = [s for i, s in enumerate(sessions) if i % 25]
    X = np.concatenate([s[0] for s in train])
    mean = X.mean(axis=0).astype(np.float64)
    std = np.maximum(X.std(axis=0), 0.05).astype(np.float64)
    del X
    mu = torch.from_numpy(mean.astype(np.float32)).to(dev)
    sd = torch.from_numpy(std.astype(np.float32)).to(dev)
    print(f"train {len(train)} sessions ({sum(len(s[0]) for s in train)} frames), "
          f"val {len(val)}; data {t_data:.0f} s", flush=True)

    net = make_net(a.hidden, a.layers).to(dev)
    nparam = sum(p.numel() for p in net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (a.lr_end + 0.5 * (a.lr - a.lr_end) * (1 + np.cos(np.pi * min(s, a.steps) / a.steps))) / a.lr)
    streams = Streams(train, a.batch, a.chunk, np.random.default_rng(a.seed + 1))

    def run_val():
        net.eval()
        tot, parts, n = 0.0, np.zeros(3), 0
        with torch.no_grad():
            for x, y in val:
                xx = (torch.from_numpy(x).to(dev)[None] - mu) / sd
                out, _ = net(xx)
                l, p = total_loss(out, torch.from_numpy(y).to(dev)[None], a.w_comb, a.w_vad, a.w_energy)
                tot += float(l) * len(x)
                parts += np.array([float(t) for t in p]) * len(x)
                n += len(x)
        net.train()
        return tot / n, parts / n

    hist = {"train": [], "val": []}
    v, vp = run_val()
    hist["val"].append((0, v))
    state = None
    t0 = time.time()
    for step in range(1, a.steps + 1):
        x, y, keep = streams.next()
        x = (torch.from_numpy(x).to(dev) - mu) / sd
        y = torch.from_numpy(y).to(dev)
        kt = torch.from_numpy(keep).to(dev)
        if state is not None:
            state = [s * kt.view(1, -1, 1) for s in state]
        out, state = net(x, state)
        state = [s.detach() for s in state]
        loss, _ = total_loss(out, y, a.w_comb, a.w_vad, a.w_energy)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        hist["train"].append((step, float(loss)))
        if step % a.val_every == 0 or step == a.steps:
            v, vp = run_val()
            hist["val"].append((step, v))
            el = time.time() - t0
            print(f"step {step:5d}  train {np.mean([l for _, l in hist['train'][-50:]]):.4f}  "
                  f"val {v:.4f} (gain {vp[0]:.4f} comb {vp[1]:.4f} vad {vp[2]:.4f})  "
                  f"lr {opt.param_groups[0]['lr']:.2e}  {el:.0f} s", flush=True)
            if a.checkpoint:
                export(net, mean, std, os.path.join(first, "ckpt.plmd"), {"steps": step},
                       a.lookahead)
    t_train = time.time() - t0

    final = float(np.mean([l for _, l in hist["train"][-50:]]))
    m = run_metadata({
        "data_seed": a.data_seed, "seed": a.seed, "steps": a.steps, "device": a.device,
        "final_loss": f"{final:.6g}", "val_loss": f"{v:.6g}",
        "val_gain": f"{vp[0]:.6g}", "val_comb": f"{vp[1]:.6g}", "val_vad": f"{vp[2]:.6g}",
        "train_frames": sum(len(s[0]) for s in train), "data_minutes": meta["minutes"],
        "train_seconds": f"{t_train:.0f}", "data_seconds": f"{t_data:.0f}",
        "train_config": json.dumps(vars(a), separators=(",", ":"), sort_keys=True)})
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    export(net.cpu(), mean, std, a.out, m, a.lookahead)
    tr = hist["train"]
    sm = [(s, float(np.mean([l for _, l in tr[max(0, i - 49):i + 1]]))) for i, (s, _) in enumerate(tr)]
    with open(os.path.join(first, "loss.svg"), "w") as f:
        f.write(svg.loss_curves({"train (mean of 50)": sm[::10], "validation": hist["val"]},
                                title=f"denoise GRU {a.hidden}x{a.layers}"))
    with open(os.path.join(first, "history.json"), "w") as f:
        json.dump({"hist": hist, "train_s": t_train, "data_s": t_data, "params": nparam}, f)
    print(f"wrote {a.out}: {nparam} parameters, train {t_train:.0f} s, data {t_data:.0f} s, "
          f"final loss {final:.4f}, val {v:.4f}; curves in {a.work}", flush=True)


if __name__ == "__main__":
    main()
