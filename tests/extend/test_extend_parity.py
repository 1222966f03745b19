#!/usr/bin/python3
"""ai/extend in C against its twins: band log-energies against numpy
(ai/train/extend/dsp.py), the model's prediction against PyTorch, and the
whole stream (excitation, shaping, overlap-add) against the numpy/PyTorch
synthesis of ai/train/extend/evaluate.py, on the committed model
ai/models/extend.plmd; the compiled-in weights must equal that file (same
outputs) and its .sha256.

    /usr/bin/python3 tests/extend/test_extend_parity.py --extend-run build/tests/extend_run"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.getcwd())
from ai.train.extend import dsp  # noqa: E402
from ai.train.extend.evaluate import extrapolate  # noqa: E402
from ai.train.extend.model import ExtendNet  # noqa: E402
from ai.train import plmd  # noqa: E402

MODEL = "ai/models/extend.plmd"


def speechlike(n, seed=1):
    """Harmonic 'vowels' with a moving pitch and noise bursts, band-limited
    later per test: a deterministic signal with energy everywhere."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 48000.0
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    ph = 2 * np.pi * np.cumsum(f0) / 48000.0
    x = sum(np.sin(k * ph) / k for k in range(1, 60))
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    x = 0.05 * x * env + 0.01 * rng.standard_normal(n) * (np.sin(2 * np.pi * 1.3 * t) > 0.6)
    return x


def lowpass(x, fc):
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / 48000.0)
    X[f > fc - 200] = 0
    return np.fft.irfft(X, len(x))


def load_torch():
    _, _, meta, tensors = plmd.read(MODEL)
    m = ExtendNet(tensors["fc_in.weight"].shape[0])
    m.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in tensors.items()})
    return m.eval(), meta


def run(tool, *args):
    subprocess.run([tool, *args], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extend-run", required=True)
    a = ap.parse_args()
    tool = a.extend_run
    with open(MODEL + ".sha256") as f:
        want = f.read().split()[0]
    with open(MODEL, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    assert got == want, f"{MODEL}: sha256 {got} != {want} (.sha256 stale)"
    model, meta = load_torch()
    slope, top = float(meta["extend.slope"]), int(meta["extend.top_band"])
    fails = []
    with tempfile.TemporaryDirectory() as d:
        p = lambda n: os.path.join(d, n)
        x = speechlike(48000 * 3)
        # 1. band log-energies
        x.astype(np.float32).tofile(p("x.f32"))
        run(tool, "logE", p("x.f32"), p("logE.f32"))
        c = np.fromfile(p("logE.f32"), np.float32).reshape(-1, dsp.NB)
        ref = dsp.log_energy(dsp.stft(x.astype(np.float32).astype(np.float64)))
        # Bands more than 60 dB under the frame's loudest are float32 FFT
        # leakage in C (and exact zeros in numpy): nothing reads them.
        live = ref >= ref.max(1, keepdims=True) - 6.0
        err = np.abs(c - ref)[live].max()
        print(f"band log10 energies (within 60 dB of each frame's loudest): max |C - numpy| {err:.2e}")
        if err > 1e-3:
            fails.append("logE")
        for fc in (4000, 8000):
            xl = lowpass(x, fc).astype(np.float32)
            logE = dsp.log_energy(dsp.stft(xl.astype(np.float64)))
            # 2. prediction, C vs torch
            logE.astype(np.float32).tofile(p("in.f32"))
            outs = []
            for mp in (MODEL, "-"):
                run(tool, "predict", mp, p("in.f32"), p("pred.f32"), str(fc))
                outs.append(np.fromfile(p("pred.f32"), np.float32).reshape(-1, dsp.OUT_BANDS))
            feats, r = dsp.features(logE.astype(np.float32).astype(np.float64), fc)
            mask = np.zeros((len(feats), dsp.IN_BANDS))
            mask[:, :dsp.usable_bands(fc)] = 1
            with torch.no_grad():
                z = model.normalise(torch.from_numpy(feats[None]).float(), torch.from_numpy(mask[None]).float())
                y, _ = model(z)
                y = (y * model.out_std + model.out_mean)[0].numpy().astype(np.float64)
            y = np.minimum(extrapolate(y, slope, top), dsp.REL_MAX) + r[:, None]
            e1 = np.abs(outs[0] - y).max() / max(1.0, np.abs(y).max())
            print(f"fc {fc}: prediction max rel |C - torch| {e1:.2e}; built-in vs file identical: "
                  f"{np.array_equal(outs[0], outs[1])}")
            if e1 > 1e-4:
                fails.append(f"predict {fc}")
            if not np.array_equal(outs[0], outs[1]):
                fails.append("built-in weights differ from the file")
            # 3. the whole stream (after its 200 ms fade-in)
            xl.tofile(p("s.f32"))
            run(tool, "process", MODEL, p("s.f32"), p("o.f32"), str(fc))
            co = np.fromfile(p("o.f32"), np.float32).astype(np.float64)[dsp.HOP:]   # the stage's 10 ms
            X = dsp.stft(xl.astype(np.float64))
            pr = (y - r[:, None])
            Y = dsp.shape(dsp.excitation(X, fc), r[:, None] + pr, r, fc)
            hb = dsp.overlap_add(Y, len(xl))
            po = np.clip(xl + hb, -1, 1)
            s = 21 * dsp.HOP
            n = min(len(co), len(po))
            e3 = np.abs(co[s:n] - po[s:n]).max() / max(1e-9, np.abs(hb[s:n]).max())
            low = np.abs((co - xl[:len(co)])[:s]).max()
            print(f"fc {fc}: stream max |C - numpy| {e3:.2e} of the added band's peak; "
                  f"added band's peak {np.abs(hb[s:n]).max():.3f}")
            if e3 > 1e-3 or not np.abs(hb[s:n]).max() > 1e-3:
                fails.append(f"stream {fc}")
            del low
    if fails:
        print("FAIL:", ", ".join(fails))
        return 1
    print("parity ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
