#!/usr/bin/python3
"""C against PyTorch on the shipped super-resolution model
(ai/models/upscale.plmd): `parley upscale` on odd- and even-sized pictures
(a real photograph crop and seeded noise), small tiles so tile edges land
everywhere, both scales; the same pictures through UpscaleNet in float32.
Outputs are 8-bit, so the check is: at most 1 level apart anywhere, and at
least 99.5 % of pixels identical (a half-level rounding tie can go either
way). And the model must differ from plain bicubic on the photograph, or
a C path that ignored the network would pass.

  /usr/bin/python3 tests/upscale/test_parity.py --parley build/bin/parley
"""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:  # the ai tests' convention: say what to install
    sys.exit("upscale/parity needs /usr/bin/python3 with numpy and torch "
             "(apt install python3-numpy python3-torch): %s" % e)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from ai.train import plmd  # noqa: E402
from ai.train.upscale.common import UpscaleNet, read_y4m  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PHOTO = "/usr/share/backgrounds/mate/nature/Wood.jpg"


def nets():
    _, _, meta, t = plmd.read(os.path.join(REPO, "ai", "models", "upscale.plmd"))
    out = {}
    for tag, scale in (("x2", 2), ("x15", 1.5)):
        if tag + ".channels" not in meta:
            continue
        n = UpscaleNet(scale, int(meta[tag + ".channels"]), int(meta[tag + ".depth"]))
        n.load_state_dict({k[len(tag) + 1:]: torch.from_numpy(v.copy())
                           for k, v in t.items() if k.startswith(tag + ".")})
        out[scale] = n.eval()
    return out


def write_y4m(path, y):
    h, w = y.shape
    c = np.full(((h + 1) // 2, (w + 1) // 2), 128, np.uint8)
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\nFRAME\n" % (w, h))
        f.write(y.tobytes() + c.tobytes() + c.tobytes())


@torch.no_grad()
def torch_up(net, y, scale, model=True):
    h, w = y.shape
    x = y.astype(np.float32) / 255
    if scale == 1.5:  # the C code's rule for odd sides: repeat the edge
        x = np.pad(x, ((0, h & 1), (0, w & 1)), mode="edge")
    t = torch.from_numpy(x)[None, None]
    from ai.train.upscale.common import bicubic_t
    o = net(t) if model else bicubic_t(t, scale)
    o = (o * 255).round().clamp(0, 255)[0, 0].numpy().astype(np.uint8)
    oh, ow = (2 * h, 2 * w) if scale == 2 else (3 * h // 2, 3 * w // 2)
    return o[:oh, :ow]


def photo(w, h):
    r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", PHOTO, "-vf",
                        "scale=%d:%d:flags=bicubic,format=gray" % (w * 4, h * 4) +
                        ",crop=%d:%d:%d:%d" % (w, h, w, h),
                        "-frames:v", "1", "-f", "rawvideo", "-"], stdout=subprocess.PIPE,
                       check=True)
    return np.frombuffer(r.stdout, np.uint8).reshape(h, w)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    a = ap.parse_args()
    ns = nets()
    assert 2 in ns and 1.5 in ns, "the shipped model must hold x2 and x1.5"
    rng = np.random.default_rng(7)
    cases = [("photo 161x97", photo(161, 97)), ("photo 160x90", photo(160, 90)),
             ("noise 37x23", rng.integers(0, 256, (23, 37), dtype=np.uint8)),
             ("flat 9x5", np.full((5, 9), 200, np.uint8))]
    fails = 0
    with tempfile.TemporaryDirectory() as d:
        for name, y in cases:
            src = os.path.join(d, "in.y4m")
            write_y4m(src, y)
            for scale in (2, 1.5):
                out = os.path.join(d, "out.y4m")
                subprocess.run([a.parley, "upscale", "--quiet", "--scale", str(scale),
                                "--tile", "16x8", src, out], check=True)
                c = read_y4m(out)[0]
                p = torch_up(ns[scale], y, scale)
                b = torch_up(ns[scale], y, scale, model=False)
                diff = np.abs(c.astype(int) - p.astype(int))
                same = float(np.mean(diff == 0))
                vs_bic = float(np.mean(np.abs(p.astype(int) - b.astype(int))))
                ok = c.shape == p.shape and diff.max() <= 1 and same >= 0.995
                if name.startswith("photo") and vs_bic < 0.3:
                    ok = False  # the network must do something on a photograph
                print("%-13s x%-3s %s: max diff %d, identical %.4f, model vs bicubic %.2f levels"
                      % (name, scale, "ok" if ok else "FAIL", diff.max(), same, vs_bic))
                fails += not ok
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
