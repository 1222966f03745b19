"""The trainer's switches do what they say, on a few steps each: every
cell/optimizer/loss runs and lowers nothing to NaN, LR schedules follow
their formulas, L1/L2 add their penalty, dropout is active only in
training, truncated BPTT resets the state of a slot whose stream ended,
and recurrent weights start orthogonal.

    /usr/bin/python3 tests/ai/test_trainer_options.py"""
import math
import sys

import torch_check  # noqa: F401
import numpy as np
import torch

from ai.train import smoke
from ai.train.cells import RecurrentStack
from ai.train.trainer import StreamBatcher, Trainer, TrainConfig

fails = 0


def check(cond, msg):
    global fails
    print(("ok   " if cond else "FAIL ") + msg)
    fails += not cond


def run(steps=4, **kw):
    base = dict(hidden=8, layers=2, steps=steps, batch=3, chunk=8, eval_every=steps, val_streams=1)
    base.update(kw)
    tr = Trainer(TrainConfig(**base), smoke.N_IN, smoke.N_OUT, smoke.make_stream)
    tr.train(log=None)
    return tr


for cell in ("gru", "lstm", "sru"):
    for opt in ("adam", "rmsprop", "sgd"):
        for loss in ("mse", "mae"):
            tr = run(cell=cell, optimizer=opt, loss=loss, lr=1e-3)
            v = [x for _, x in tr.history["train"]]
            check(all(math.isfinite(x) for x in v), f"{cell}/{opt}/{loss} trains: {v[-1]:.4f}")

lr0 = 1e-2
tr = run(schedule="step", step_size=2, gamma=0.5, lr=lr0)
check(abs(tr.opt.param_groups[0]["lr"] - lr0 * 0.25) < 1e-12, "step decay halves every 2 steps")
tr = run(schedule="invtime", decay=0.5, lr=lr0)
check(abs(tr.opt.param_groups[0]["lr"] - lr0 / (1 + 0.5 * 4)) < 1e-12, "inverse-time decay lr/(1+d*t)")
# A learning rate too small to change anything: every evaluation is a
# plateau, so with patience 0 each one after the first cuts the rate.
tiny = 1e-6
tr = run(steps=3, schedule="plateau", patience=0, gamma=0.1, lr=tiny, optimizer="sgd",
         eval_every=1)
check(abs(tr.opt.param_groups[0]["lr"] - tiny * 0.01) < 1e-12,
      f"reduce-on-plateau cuts lr on flat validation ({tr.opt.param_groups[0]['lr']:.1e})")

tr = run(steps=1, l1=1e-3)
r1 = float(tr.regulariser())
w = sum(float(p.abs().sum()) for p in tr.model.parameters() if p.dim() >= 2)
check(abs(r1 - 1e-3 * w) < 1e-6 * max(1, w), f"L1 penalty = l1 * sum|W| ({r1:.4f})")
tr = run(steps=1, l2=1e-3)
w2 = sum(float((p * p).sum()) for p in tr.model.parameters() if p.dim() >= 2)
check(abs(float(tr.regulariser()) - 1e-3 * w2) < 1e-6 * max(1, w2), "L2 penalty = l2 * sum W^2")

torch.manual_seed(0)
m = RecurrentStack(3, 2, hidden=16, layers=2, dropout=0.5)
x = torch.randn(2, 10, 3)
m.train()
a, _ = m(x)
b, _ = m(x)
m.eval()
c, _ = m(x)
d, _ = m(x)
check(not torch.equal(a, b) and torch.equal(c, d), "dropout only while training")

whh = m.rnn0.weight_hh_l0.detach()
blk = whh[:16]
check(torch.allclose(blk @ blk.t(), torch.eye(16), atol=1e-5), "recurrent gate blocks start orthogonal")

# TBPTT: stream slots continue across chunks and reset when a stream ends.
calls = []


def stream(rng, n=20):
    calls.append(1)
    x = np.arange(n, dtype=np.float32)[:, None].repeat(3, 1) + 100 * len(calls)
    return x, x[:, :2]


b = StreamBatcher(stream, 2, 8, np.random.default_rng(0))
x1, _, k1 = b.next()
x2, _, k2 = b.next()
x3, _, k3 = b.next()  # 20 frames hold two chunks of 8: the third starts anew
check(k1.tolist() == [0, 0] and k2.tolist() == [1, 1] and k3.tolist() == [0, 0],
      "state kept within a stream, reset when a new one starts")
check(float(x2[0, 0, 0]) == float(x1[0, -1, 0]) + 1, "chunks of a stream are consecutive")

print("all trainer option checks passed" if not fails else f"{fails} checks failed")
sys.exit(1 if fails else 0)
