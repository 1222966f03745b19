"""The shipped noise-suppression model: PyTorch and the C runtime agree.

1. ai/models/denoise.plmd matches its .sha256, and the array compiled into
   libparley (ai/models/denoise_model.c) holds exactly those bytes.
2. A fixed 6 s input (harmonic voice-like tones with gaps, white and
   pulsed noise, a loud burst, silence) runs through the C runtime
   (tests/denoise/dn_run: features and network outputs per 10 ms frame) with
   the built-in model on the scalar and the AVX2 path, and with the model
   loaded from the file. PyTorch runs the same network (ai.train.denoise.
   model.load) on the C features; every output must agree within 1e-4.

    /usr/bin/python3 tests/denoise/test_parity.py --dn-run build/tests/dn_run"""
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

from ai.train.denoise.model import NFEAT, NOUT, load  # noqa: E402

TOL = 1e-4
MODEL = os.path.join(REPO, "ai", "models", "denoise.plmd")
EMBED = os.path.join(REPO, "ai", "models", "denoise_model.c")


def fixed_input():
    rng = np.random.default_rng(20240601)
    sr, n = 48000, 48000 * 6
    t = np.arange(n) / sr
    f0 = 120 + 60 * np.sin(2 * np.pi * 0.7 * t)
    ph = 2 * np.pi * np.cumsum(f0) / sr
    voice = sum(np.sin(h * ph) / h for h in range(1, 12)) * 0.08
    gate = (np.sin(2 * np.pi * 1.3 * t) > -0.2).astype(float)
    x = voice * gate + 0.01 * rng.standard_normal(n)
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
    # The build links the file itself in (.incbin): check it is that file.
    text = open(EMBED).read()
    if not re.search(r'PL_INCBIN\(pl_model_denoise,\s*"denoise\.plmd"\)', text):
        return f"{EMBED} does not link {MODEL} in"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dn-run", required=True)
    a = ap.parse_args()
    err = check_files()
    if err:
        print("FAIL:", err)
        return 1
    print("model file and .sha256 agree; the build links that file in")
    net, meta = load(MODEL)
    net64, _ = load(MODEL)
    net64 = net64.double()
    x = fixed_input()
    worst_all = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "in.f32")
        x.tofile(inp)
        runs = [("builtin", "scalar", []), ("builtin", "avx2", []),
                ("file", "scalar", ["--model", MODEL])]
        for what, isa, extra in runs:
            out = os.path.join(tmp, f"{what}-{isa}.f32")
            r = subprocess.run([a.dn_run, "--isa", isa] + extra + [inp, out])
            if r.returncode == 77:
                print(f"{what}/{isa}: not available on this CPU, skipped")
                continue
            if r.returncode:
                print(f"FAIL: dn_run exited {r.returncode}")
                return 1
            rec = np.fromfile(out, dtype=np.float32).reshape(-1, NFEAT + NOUT)
            if len(rec) != len(x) // 480:
                print(f"FAIL: {len(rec)} frames, expected {len(x) // 480}")
                return 1
            feat, c_out = rec[:, :NFEAT], rec[:, NFEAT:]
            with torch.no_grad():
                t_out, _ = net(torch.from_numpy(feat.copy())[None])
                t64, _ = net64(torch.from_numpy(feat.astype(np.float64))[None])
            t_out, t64 = t_out[0].numpy(), t64[0].numpy()
            # The reference is PyTorch in float64. Where the network itself is
            # ill-conditioned (digital silence drives its inputs far outside
            # the training range), float32 PyTorch strays from it as well;
            # C may stray as far as float32 PyTorch does, times a small
            # margin for the different order of summation, never more.
            own = np.abs(t_out - t64).max(axis=1, keepdims=True)
            tol = np.maximum(TOL, 4.0 * own)
            diff = np.abs(c_out - t64)
            ratio = diff / tol
            worst = float(diff.max())
            f, o = np.unravel_index(int(ratio.argmax()), ratio.shape)
            worst_all = max(worst_all, float(ratio.max()))
            print(f"{what}/{isa}: {len(rec)} frames, max |C - torch64| = {worst:.2e}, "
                  f"worst against its tolerance {ratio.max():.2f} (frame {f}, output {o}, "
                  f"float32 torch there {own[f, 0]:.1e}); "
                  f"gains {c_out[:, :27].min():.3f}..{c_out[:, :27].max():.3f}")
            if not np.all(np.isfinite(c_out)) or ratio.max() > 1.0:
                print(f"FAIL: C outputs stray from float64 PyTorch further than float32 "
                      f"PyTorch does (or {TOL})")
                return 1
    print(f"PASS: worst error {worst_all:.2f} of its tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
