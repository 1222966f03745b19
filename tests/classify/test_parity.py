"""The shipped speech/music classifier: PyTorch and the C runtime agree.

1. ai/models/classify.plmd matches its .sha256, and ai/models/classify_model.c
   links exactly that file in.
2. A fixed 6 s input (voice-like harmonic tones with gaps, chords, white and
   pulsed noise, a loud burst, silence) through the C runtime (cl_run:
   features, logits, probabilities per frame) on the scalar and AVX2 paths
   and from the file; PyTorch (float64) runs the same network on the C
   features: logits within 1e-4 (or 4x float32 PyTorch's own error where
   that is larger) and probabilities within 1e-4.

    /usr/bin/python3 tests/classify/test_parity.py --cl-run build/tests/cl_run"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"FAIL: {e}: install python3-torch python3-numpy (scripts/install-deps.sh test)")
    sys.exit(1)
torch.set_num_threads(2)

from ai.train.classify.model import NFEAT, NOUT, load  # noqa: E402

TOL = 1e-4
MODEL = os.path.join(REPO, "ai", "models", "classify.plmd")
EMBED = os.path.join(REPO, "ai", "models", "classify_model.c")


def fixed_input():
    rng = np.random.default_rng(20261208)
    sr, n = 48000, 48000 * 6
    t = np.arange(n) / sr
    f0 = 120 + 60 * np.sin(2 * np.pi * 0.7 * t)
    ph = 2 * np.pi * np.cumsum(f0) / sr
    voice = sum(np.sin(h * ph) / h for h in range(1, 12)) * 0.08
    gate = (np.sin(2 * np.pi * 1.3 * t) > -0.2).astype(float)
    x = voice * gate + 0.01 * rng.standard_normal(n)
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0)) * 0.05
    x[48000:96000] += chord[48000:96000]
    x[96000:110400] += 0.5 * rng.standard_normal(14400)
    x[144000:] *= (np.arange(n - 144000) % 4800 < 1200)
    x[240000:] = 0.0
    return x.astype(np.float32)


def check_files():
    data = open(MODEL, "rb").read()
    want = open(MODEL + ".sha256").read().split()[0]
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        return f"{MODEL}: sha256 {got} != {want} in .sha256"
    if not re.search(r'PL_INCBIN\(pl_model_classify,\s*"classify\.plmd"\)', open(EMBED).read()):
        return f"{EMBED} does not link {MODEL} in"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cl-run", required=True)
    a = ap.parse_args()
    err = check_files()
    if err:
        print("FAIL:", err)
        return 1
    net, _ = load(MODEL)
    net64, _ = load(MODEL)
    net64 = net64.double()
    x = fixed_input()
    worst_all = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "in.f32")
        x.tofile(inp)
        for what, isa, extra in [("builtin", "scalar", []), ("builtin", "avx2", []),
                                 ("file", "scalar", ["--model", MODEL])]:
            out = os.path.join(tmp, f"{what}-{isa}.f32")
            r = subprocess.run([a.cl_run, "--isa", isa] + extra + [inp, out])
            if r.returncode == 77:
                print(f"{what}/{isa}: not available on this CPU, skipped")
                continue
            if r.returncode:
                print(f"FAIL: cl_run exited {r.returncode}")
                return 1
            rec = np.fromfile(out, dtype=np.float32).reshape(-1, NFEAT + 2 * NOUT)
            if len(rec) != len(x) // 480:
                print(f"FAIL: {len(rec)} frames, expected {len(x) // 480}")
                return 1
            feat, c_log, c_p = rec[:, :NFEAT], rec[:, NFEAT:NFEAT + NOUT], rec[:, NFEAT + NOUT:]
            with torch.no_grad():
                t32, _ = net(torch.from_numpy(feat.copy())[None])
                t64, _ = net64(torch.from_numpy(feat.astype(np.float64))[None])
            t32, t64 = t32[0].numpy(), t64[0].numpy()
            own = np.abs(t32 - t64).max(axis=1, keepdims=True)
            tol = np.maximum(TOL, 4.0 * own)
            ratio = np.abs(c_log - t64) / tol
            p64 = np.exp(t64 - t64.max(axis=1, keepdims=True))
            p64 /= p64.sum(axis=1, keepdims=True)
            dp = float(np.abs(c_p - p64).max())
            worst_all = max(worst_all, float(ratio.max()))
            print(f"{what}/{isa}: {len(rec)} frames, max |C - torch64| logits "
                  f"{np.abs(c_log - t64).max():.2e} ({ratio.max():.2f} of tolerance), "
                  f"probabilities {dp:.2e}")
            if not np.all(np.isfinite(c_p)) or ratio.max() > 1.0 or dp > TOL:
                print("FAIL: C strays from float64 PyTorch")
                return 1
    print(f"PASS: worst error {worst_all:.2f} of its tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
