"""Development-split evaluation of the extender (numpy synthesis, torch
model): LSD over the added band (cutoff .. the file's real band edge) and
over the whole band, for no extension, spectral folding at several levels,
and the model. Only the training corpus's dev split (data.is_dev) is read:
every design choice is made here, never on the eval set.

    /usr/bin/python3 -m ai.train.extend.evaluate --speech DIR/speech --model RUN/extend.pt"""
import argparse
import os
import sys

import numpy as np
import torch

from ai.train.extend import dsp
from ai.train.extend.data import is_dev
from ai.train.extend.model import ExtendNet

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "data"))
import augment as A  # noqa: E402
import common as C  # noqa: E402


def lsd(ref, deg, rate=48000, frame_ms=32, f_lo=0.0, f_hi=None):
    """pl_lsd_band_db's twin: mean over active Hann frames (hop frame/2)
    of the RMS dB difference over bins in [f_lo, f_hi), floor 80 dB under
    the loudest reference bin, active = within 40 dB of the loudest frame."""
    n = min(len(ref), len(deg))
    L = rate * frame_ms // 1000
    hop = L // 2
    nfft = 1 << (L - 1).bit_length()
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(L) / L)
    F = (n - L) // hop + 1
    idx = np.arange(F)[:, None] * hop + np.arange(L)[None, :]
    r, d = ref[idx] * w, deg[idx] * w
    e = (r ** 2).sum(1)
    act = e >= e.max() * 1e-4
    R = np.abs(np.fft.rfft(r, nfft, axis=1)) ** 2
    D = np.abs(np.fft.rfft(d, nfft, axis=1)) ** 2
    fl = R[act].max() * 1e-8
    f = np.arange(nfft // 2 + 1) * rate / nfft
    sel = (f >= f_lo) & (f < (f_hi if f_hi else rate / 2 + 1))
    l = 10 * np.log10(np.maximum(R[act][:, sel], fl) / np.maximum(D[act][:, sel], fl))
    return float(np.sqrt((l ** 2).mean(1)).mean())


def run_model(model, xl, fc, slope, top_band, offset=1):
    """The stage's algorithm on a whole file (numpy + torch)."""
    X = dsp.stft(xl)
    logE = dsp.log_energy(X)
    x, ref = dsp.features(logE, fc)
    mask = np.zeros((len(x), dsp.IN_BANDS))
    mask[:, :dsp.usable_bands(fc)] = 1.0
    with torch.no_grad():
        z = model.normalise(torch.from_numpy(x[None]).float(), torch.from_numpy(mask[None]).float())
        p, _ = model(z)
        p = (p * model.out_std + model.out_mean)[0].numpy().astype(np.float64)
    p = extrapolate(p, slope, top_band)
    pred = ref[:, None] + p
    Y = dsp.shape(dsp.excitation(X, fc), pred, ref, fc)
    return xl + dsp.overlap_add(Y, len(xl))


def extrapolate(p, slope, top_band):
    i = top_band - dsp.OUT_LO
    out = p.copy()
    for j in range(i + 1, dsp.OUT_BANDS):
        out[:, j] = p[:, i] + slope * (j - i)
    return out


def load_model(path):
    sd = torch.load(path)
    m = ExtendNet(sd["fc_in.weight"].shape[0])
    m.load_state_dict(sd)
    return m.eval()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--speech", default="ai/data/out/speech")
    ap.add_argument("--model")
    ap.add_argument("--slope", type=float, default=-0.1331)
    ap.add_argument("--top-band", type=int, default=30)
    ap.add_argument("--fold-db", default="-6,-9,-12,-15,-18")
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args(argv)
    root = os.path.dirname(os.path.abspath(a.speech))
    rows = [r for r in C.read_manifest(os.path.join(a.speech, "manifest.jsonl")) if is_dev(r["id"])]
    model = load_model(a.model) if a.model else None
    folds = [float(v) for v in a.fold_db.split(",")]
    for fc in (4000, 8000):
        use = [r for r in rows if float(r["band_limit_hz"]) > fc * 1.2]
        if a.limit:
            use = use[:a.limit]
        acc = {}
        for r in use:
            x, _ = C.read_wav(os.path.join(root, r["path"]))
            top = float(r["band_limit_hz"]) * 0.97
            xl = A.band_limit(x, 48000, fc, 400.0)
            outs = {"none": xl}
            for g in folds:
                outs[f"fold {g:+.0f} dB"] = dsp.fold(xl, fc, g)
            if model is not None:
                outs["model"] = run_model(model, xl, fc, a.slope, a.top_band)
            for k, y in outs.items():
                acc.setdefault(k, []).append((lsd(x, y, f_lo=fc, f_hi=top), lsd(x, y, f_hi=top)))
        print(f"fc {fc}: {len(use)} dev utterances, LSD (32 ms) added band | band up to the file's edge")
        for k, v in acc.items():
            v = np.array(v)
            print(f"  {k:14s} {v[:, 0].mean():6.2f} {v[:, 1].mean():6.2f}")


if __name__ == "__main__":
    main()
