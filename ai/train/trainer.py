"""The shared training loop for recurrent stacks on long streams.

Truncated BPTT: B streams run side by side, each training step takes the
next `chunk` frames of every stream, and the recurrent state is carried
(detached) into the next step; a stream that ends is replaced by a new one
and its row of the state is zeroed. Everything is seeded (python, numpy,
torch) so a run is reproducible from its config.

Data comes from a `make_stream(rng) -> (x [L, n_in], y [L, n_out])`
function over a numpy Generator; ai/data builds real corpora, the smoke
and ablation tasks generate theirs (ai/train/smoke.py)."""
import argparse
import dataclasses
import json
import random
import time

import numpy as np
import torch
from torch import nn

from ai.train import svg
from ai.train.cells import RecurrentStack, detach_state, mask_state


@dataclasses.dataclass
class TrainConfig:
    # model
    hidden: int = 32
    layers: int = 2
    cell: str = "gru"           # gru | lstm | sru
    in_act: str = "prelu"       # prelu | relu
    between: str = "layernorm"  # layernorm | tanh | none (between recurrent layers)
    out_act: str = "none"       # none | sigmoid | tanh
    dropout: float = 0.0
    # optimisation
    optimizer: str = "adam"     # adam | rmsprop | sgd
    lr: float = 3e-3
    momentum: float = 0.9       # sgd / rmsprop
    loss: str = "mse"           # mse | mae
    l1: float = 0.0             # sum |w| of weight matrices
    l2: float = 0.0             # sum w^2 of weight matrices
    schedule: str = "none"      # none | step | plateau | invtime
    step_size: int = 100        # step: decay every step_size steps
    gamma: float = 0.5          # step / plateau factor
    patience: int = 3           # plateau: evaluations without improvement
    decay: float = 1e-3         # invtime: lr / (1 + decay * step)
    grad_clip: float = 1.0
    # data
    steps: int = 300
    batch: int = 16
    chunk: int = 32             # truncated-BPTT length
    eval_every: int = 25
    val_streams: int = 8
    seed: int = 0               # model init and batching
    data_seed: int = 1          # the generated / sampled data
    threads: int = 2


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_optimizer(cfg, params):
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    raise ValueError(f"unknown optimizer {cfg.optimizer}")


def make_schedule(cfg, opt):
    if cfg.schedule == "none":
        return None
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(opt, cfg.step_size, cfg.gamma)
    if cfg.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=cfg.gamma,
                                                          patience=cfg.patience)
    if cfg.schedule == "invtime":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1.0 + cfg.decay * s))
    raise ValueError(f"unknown schedule {cfg.schedule}")


def loss_fn(name):
    if name == "mse":
        return nn.MSELoss()
    if name == "mae":
        return nn.L1Loss()
    raise ValueError(f"unknown loss {name}")


class StreamBatcher:
    """B stream slots; next() returns the next chunk of each and which
    slots started a new stream (their state must be reset)."""

    def __init__(self, make_stream, batch, chunk, rng):
        self.make_stream, self.chunk, self.rng = make_stream, chunk, rng
        self.slots = [None] * batch
        self.pos = [0] * batch

    def next(self):
        xs, ys, keep = [], [], []
        for i, s in enumerate(self.slots):
            k = 1.0
            if s is None or self.pos[i] + self.chunk > len(s[0]):
                s = self.make_stream(self.rng)
                if len(s[0]) < self.chunk:
                    raise ValueError("stream shorter than one chunk")
                self.slots[i], self.pos[i], k = s, 0, 0.0
            p = self.pos[i]
            xs.append(s[0][p:p + self.chunk])
            ys.append(s[1][p:p + self.chunk])
            keep.append(k)
            self.pos[i] = p + self.chunk
        f = torch.from_numpy
        return (f(np.stack(xs).astype(np.float32)), f(np.stack(ys).astype(np.float32)),
                torch.tensor(keep))


class Trainer:
    def __init__(self, cfg, n_in, n_out, make_stream):
        self.cfg = cfg
        torch.set_num_threads(cfg.threads)
        seed_everything(cfg.seed)
        self.model = RecurrentStack(n_in, n_out, cfg.hidden, cfg.layers, cfg.cell, cfg.in_act,
                                    cfg.between, cfg.out_act, cfg.dropout)
        self.opt = make_optimizer(cfg, self.model.parameters())
        self.sched = make_schedule(cfg, self.opt)
        self.loss = loss_fn(cfg.loss)
        self.make_stream = make_stream
        # Training and validation data come from separate generators.
        self.data_rng = np.random.default_rng(cfg.data_seed)
        val_rng = np.random.default_rng(cfg.data_seed + 1_000_003)
        self.val = [make_stream(val_rng) for _ in range(cfg.val_streams)]
        self.batcher = StreamBatcher(make_stream, cfg.batch, cfg.chunk, self.data_rng)
        self.history = {"train": [], "val": []}
        self.step = 0

    def regulariser(self):
        cfg = self.cfg
        if not cfg.l1 and not cfg.l2:
            return 0.0
        r = 0.0
        for name, p in self.model.named_parameters():
            if p.dim() >= 2:  # weight matrices, not biases/gains
                if cfg.l1:
                    r = r + cfg.l1 * p.abs().sum()
                if cfg.l2:
                    r = r + cfg.l2 * (p * p).sum()
        return r

    @torch.no_grad()
    def evaluate(self):
        """Loss over whole validation streams, state carried from zero."""
        self.model.eval()
        tot, n = 0.0, 0
        for x, y in self.val:
            yy, _ = self.model(torch.from_numpy(x[None].astype(np.float32)))
            tot += float(self.loss(yy, torch.from_numpy(y[None].astype(np.float32)))) * len(x)
            n += len(x)
        self.model.train()
        return tot / n

    def train(self, log=print):
        cfg = self.cfg
        self.model.train()
        state = None
        self.history["val"].append((0, self.evaluate()))
        t0 = time.time()
        for self.step in range(1, cfg.steps + 1):
            x, y, keep = self.batcher.next()
            if state is not None:
                state = [mask_state(s, keep) for s in state]
            yy, state = self.model(x, state)
            state = detach_state(state)
            loss = self.loss(yy, y)
            total = loss + self.regulariser()
            self.opt.zero_grad()
            total.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            self.opt.step()
            self.history["train"].append((self.step, float(loss)))
            if self.sched is not None and cfg.schedule != "plateau":
                self.sched.step()
            if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
                v = self.evaluate()
                self.history["val"].append((self.step, v))
                if cfg.schedule == "plateau":
                    self.sched.step(v)
                if log:
                    log(f"step {self.step:5d}  train {float(loss):.5f}  val {v:.5f}  "
                        f"lr {self.opt.param_groups[0]['lr']:.2e}  {time.time() - t0:.1f}s")
        return self.history

    def final_train_loss(self, last=10):
        t = [v for _, v in self.history["train"][-last:]]
        return sum(t) / len(t)

    def save_curves(self, path, title):
        # The per-step training loss is noisy: plot a running mean of 10.
        tr = self.history["train"]
        sm = [(s, sum(v for _, v in tr[max(0, i - 9):i + 1]) / len(tr[max(0, i - 9):i + 1]))
              for i, (s, _) in enumerate(tr)]
        with open(path, "w") as f:
            f.write(svg.loss_curves({"train (mean of 10)": sm, "validation": self.history["val"]},
                                    title=title))

    def export(self, path, name, kind, meta=None, int8=()):
        from ai.train.export import export_stack
        m = {"seed": self.cfg.seed, "data_seed": self.cfg.data_seed,
             "final_loss": f"{self.final_train_loss():.6g}",
             "val_loss": f"{self.history['val'][-1][1]:.6g}",
             "steps": self.step,
             "train_config": json.dumps(dataclasses.asdict(self.cfg), separators=(",", ":"))}
        m.update(meta or {})
        self.model.eval()
        return export_stack(self.model, path, name, kind, m, int8)


def add_config_args(ap, defaults=None):
    """Every TrainConfig field as a --flag (for task scripts)."""
    d = defaults or TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        ap.add_argument("--" + f.name.replace("_", "-"), type=type(getattr(d, f.name)),
                        default=getattr(d, f.name))
    return ap


def config_from_args(a):
    return TrainConfig(**{f.name: getattr(a, f.name) for f in dataclasses.fields(TrainConfig)})


if __name__ == "__main__":
    p = add_config_args(argparse.ArgumentParser(description="print the default config"))
    print(json.dumps(dataclasses.asdict(config_from_args(p.parse_args())), indent=1))
