"""Training smoke test: a tiny GRU stack learns the smoke task (loss must
fall), the same seed gives the same run, the export carries its metadata,
and the C side (nn_run, pl_nn_seq) reproduces PyTorch's outputs within 1e-4
on both ISAs.

    /usr/bin/python3 tests/ai/test_train_smoke.py --nn-run build/tests/nn_run"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch_check  # noqa: F401
import numpy as np

from ai.train import plmd, smoke
from ai.train.trainer import Trainer, TrainConfig


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nn-run", required=True)
    a = ap.parse_args()
    t0 = time.time()

    # Same seeds, same numbers.
    cfg = TrainConfig(hidden=8, layers=1, steps=3, batch=4, chunk=16, eval_every=3, val_streams=1)
    h1 = Trainer(cfg, smoke.N_IN, smoke.N_OUT, smoke.make_stream).train(log=None)
    h2 = Trainer(cfg, smoke.N_IN, smoke.N_OUT, smoke.make_stream).train(log=None)
    check(h1 == h2, f"fixed seeds reproduce the run exactly ({h1['train'][-1][1]:.6f})")

    with tempfile.TemporaryDirectory() as out:
        tr, model = smoke.main(["--out", out, "--quiet"])
        hist = tr.history
        first = np.mean([v for _, v in hist["train"][:5]])
        last = tr.final_train_loss()
        v0, v1 = hist["val"][0][1], hist["val"][-1][1]
        check(last < 0.5 * first, f"training loss fell {first:.4f} -> {last:.4f}")
        check(v1 < 0.5 * v0, f"validation loss fell {v0:.4f} -> {v1:.4f}")
        svg = open(os.path.join(out, "smoke_loss.svg")).read()
        check(svg.startswith("<svg") and svg.count("<polyline") == 2, "loss curves written as SVG")

        name, kind, meta, tensors = plmd.read(model)
        for key in ("git_commit", "command", "date", "data_seed", "final_loss", "arch.0"):
            check(key in meta and meta[key], f"metadata has {key}={meta.get(key, '')[:40]}")
        check(os.path.basename(sys.argv[0]) in meta["command"], "command line recorded")
        check("rnn0.weight_hh_l0" in tensors and tensors["rnn0.weight_hh_l0"].shape == (72, 24),
              "GRU weights exported under torch names")

        io = os.path.join(out, "smoke_io.plmd")
        want = plmd.read(io)[3]["y"]
        for isa in ("scalar", "avx2"):
            res = os.path.join(out, isa + ".f32")
            r = subprocess.run([a.nn_run, "--isa", isa, model, io, res], capture_output=True,
                               text=True)
            if r.returncode == 77:
                print(f"     {isa} not available on this CPU")
                continue
            check(r.returncode == 0, f"nn_run ({isa}) ran the exported model: {r.stderr.strip()}")
            got = np.fromfile(res, dtype="<f4").reshape(want.shape)
            err = np.abs(got - want).max()
            check(err <= 1e-4, f"C ({isa}) matches PyTorch over {want.size} outputs, "
                               f"max error {err:.2e}")
    print(f"smoke test passed in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
