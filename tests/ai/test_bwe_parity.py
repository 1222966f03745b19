"""The shipped learned bandwidth estimator (ai/models/bwe.plmd) gives the
same outputs in C as in PyTorch:

1. the stack alone: nn_run (pl_nn_seq) on feature sequences shaped like
   real ones, both ISAs, within 1e-4;
2. the whole controller in a call: bench_bwe_gen runs a 10 s simulated call
   with the learned controller in charge and logs every tick's features and
   the rate the model asked for; PyTorch, fed the same features, asks for
   the same rate (relative error under 1e-3, after the same clamp).

    /usr/bin/python3 tests/ai/test_bwe_parity.py --nn-run build/tests/nn_run \\
        --gen build/bench/bench_bwe_gen --model ai/models/bwe.plmd"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch_check  # noqa: F401
import numpy as np
import torch

from ai.train import plmd
from ai.train.bwe.model import N_FEAT, make_model
from ai.train.bwe.train import COLS, C_MODEL, C_X


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        sys.exit(1)


def torch_model(path):
    _, _, meta, tensors = plmd.read(path)
    m = make_model(int(meta["model.hidden"]))
    m.load_state_dict({k: torch.tensor(v) for k, v in tensors.items()})
    return m.eval()


def features(rng, T):
    """Random walks in the ranges the C features take."""
    x = np.zeros((T, N_FEAT), np.float32)
    lvl = rng.uniform(-2.5, 1, 7)
    for t in range(T):
        lvl = np.clip(lvl + rng.normal(0, 0.05, 7), -4.6, 2)
        x[t, :7] = lvl
        x[t, 7:9] = np.abs(rng.normal(0, 0.5, 2))
        x[t, 9] = rng.normal(0, 0.3)
        x[t, 10] = rng.uniform(0, 0.5) if rng.random() < 0.2 else 0
        x[t, 11] = rng.uniform(0.2, 3)
        x[t, 12:15] = rng.random(3) < 0.2
        x[t, 15] = rng.uniform(0, 0.1)
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nn-run", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--model", required=True)
    a = ap.parse_args()
    import hashlib
    with open(a.model + ".sha256") as f:
        want_sum = f.read().split()[0]
    with open(a.model, "rb") as f:
        check(hashlib.sha256(f.read()).hexdigest() == want_sum, "bwe.plmd matches bwe.plmd.sha256")
    m = torch_model(a.model)
    rng = np.random.default_rng(14)
    with tempfile.TemporaryDirectory() as out:
        for s in range(3):
            x = features(rng, 400)
            with torch.no_grad():
                want = m(torch.tensor(x[None]))[0][0].numpy()
            io = os.path.join(out, "io.plmd")
            w = plmd.PlmdWriter("io", "test")
            w.add("x", x)
            w.save(io)
            for isa in ("scalar", "avx2"):
                res = os.path.join(out, isa + ".f32")
                r = subprocess.run([a.nn_run, "--isa", isa, a.model, io, res],
                                   capture_output=True, text=True)
                if r.returncode == 77:
                    print(f"     {isa} not available on this CPU")
                    continue
                check(r.returncode == 0, f"nn_run ({isa}) ran bwe.plmd: {r.stderr.strip()}")
                got = np.fromfile(res, dtype="<f4").reshape(want.shape)
                err = np.abs(got - want).max()
                check(err <= 1e-4, f"sequence {s}: C ({isa}) matches PyTorch over {want.size} "
                                   f"ticks, max error {err:.2e}")

        log = os.path.join(out, "call.f32")
        r = subprocess.run([a.gen, "--out", log, "--runs", "1", "--duration", "10", "--seed", "5",
                            "--policy", "model", "--explore", "0", "--model", a.model],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"bench_bwe_gen ran a call with the model: {r.stderr.strip()[-200:]}")
        rows = np.fromfile(log, dtype=np.float32).reshape(-1, COLS)
        ok = True
        for d in (0, 1):
            rr = rows[rows[:, 1] == d]
            rr = rr[np.argsort(rr[:, 2], kind="stable")]
            with torch.no_grad():
                y = m(torch.tensor(rr[None, :, C_X:C_X + N_FEAT]))[0][0, :, 0].double().numpy()
            bps = np.clip(np.exp(y) * 1e6, 30000, 2532000)
            rel = np.abs(bps - rr[:, C_MODEL]) / rr[:, C_MODEL]
            check(len(rr) > 150 and rel.max() < 1e-3,
                  f"direction {d}: {len(rr)} ticks of a call, PyTorch's rate matches the C "
                  f"controller's within {rel.max():.1e}")
            ok = ok and rel.max() < 1e-3
    print("bwe parity passed")


if __name__ == "__main__":
    main()
