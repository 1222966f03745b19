#!/usr/bin/env python3
"""The neural PLC's C runtime against its PyTorch/numpy definitions:

1. the committed model (ai/models/plc.plmd) run by ai/plc/net.c equals
   ai/train/plc/model.py on a fixed 60-step input, within 1e-4 (int8
   weights are compared against torch running the dequantised weights);
2. the weights compiled into libparley are that file (same outputs, bit for
   bit) and ai/models/plc.plmd.sha256 matches it;
3. band log-energies from ai/plc/dsp.c equal ai/train/plc/dsp.py on a
   second of speech-like audio within 1e-4.

    /usr/bin/python3 tests/plc/test_plc_parity.py --plc-run build/tests/plc_run"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"FAIL: {e.name} is needed (python3-numpy, python3-torch)")
    sys.exit(1)

from ai.train import plmd  # noqa: E402
from ai.train.plc import dsp  # noqa: E402
from ai.train.plc.model import NB, N_IN, N_OUT, PlcNet  # noqa: E402

MODEL = os.path.join(REPO, "ai", "models", "plc.plmd")
TOL = 1e-4


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode:
        print(r.stdout, r.stderr)
        raise SystemExit(f"FAIL: {' '.join(args)} exited {r.returncode}")


def torch_model():
    _, kind, meta, t = plmd.read(MODEL)
    assert kind == "plc", kind
    m = PlcNet(t["fc_in.weight"].shape[0])
    m.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in t.items()})
    return m.eval(), meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plc-run", required=True)
    a = ap.parse_args()
    fails = 0
    with open(MODEL, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(MODEL + ".sha256") as f:
        want = f.read().split()[0]
    if digest != want:
        print(f"FAIL: {MODEL} sha256 {digest} != {want}")
        fails += 1
    model, meta = torch_model()
    rng = np.random.default_rng(5)
    T, K = 60, int(meta.get("plc.context", 16))
    x = np.zeros((T, N_IN), np.float32)
    x[:, :NB] = rng.standard_normal((T, NB)).astype(np.float32)
    x[K:, :NB] = x[K - 1, :NB]                       # held, as during a loss
    x[K:, NB] = 1.0
    x[K:, NB + 1] = np.minimum(np.arange(T - K), 11) / 10.0
    x[:K, NB + 2] = rng.random(K) < 0.2
    with torch.no_grad():
        b, v, _ = model(torch.from_numpy(x[None]))
    want = np.concatenate([b[0].numpy(), v[0].numpy()[:, None]], 1)
    with tempfile.TemporaryDirectory() as d:
        xi, yf, yb = (os.path.join(d, n) for n in ("x.f32", "yf.f32", "yb.f32"))
        x.tofile(xi)
        run(a.plc_run, "net", MODEL, xi, yf)
        run(a.plc_run, "net", "-", xi, yb)
        got = np.fromfile(yf, np.float32).reshape(T, N_OUT)
        built = np.fromfile(yb, np.float32).reshape(T, N_OUT)
        err = np.abs(got - want) / (1.0 + np.abs(want))
        print(f"model {digest[:12]}: max |C - torch| / (1 + |torch|) = {err.max():.2e} "
              f"over {T} steps x {N_OUT} outputs")
        if not err.max() <= TOL:
            print("FAIL: model parity")
            fails += 1
        if not np.array_equal(got, built):
            print("FAIL: the built-in weights are not ai/models/plc.plmd (re-run the embed step)")
            fails += 1
        # Features on a speech-like second: a gliding vowel in noise.
        n = 48000
        t = np.arange(n) / 48000.0
        f0 = 120 + 40 * np.sin(2 * np.pi * 1.5 * t)
        ph = 2 * np.pi * np.cumsum(f0) / 48000.0
        sig = sum(np.sin(k * ph) / k for k in range(1, 30)) * 0.05 * (1 + np.sin(2 * np.pi * 3 * t))
        sig = (sig + 0.003 * rng.standard_normal(n)).astype(np.float32)
        si, so = os.path.join(d, "s.f32"), os.path.join(d, "b.f32")
        sig.tofile(si)
        run(a.plc_run, "bands", si, so)
        cb = np.fromfile(so, np.float32).reshape(-1, NB)
        pb = dsp.features(sig.astype(np.float64))
        e = np.abs(cb - pb).max()
        print(f"band log-energies: max |C - numpy| = {e:.2e} over {cb.shape[0]} frames")
        if not e <= TOL:
            print("FAIL: feature parity")
            fails += 1
    print("FAIL" if fails else "OK")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
