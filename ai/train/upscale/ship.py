"""Puts the trained x2 and x1.5 nets into one PLMD for ai/models: tensors
prefixed "x2." and "x15.", each net's shape and training record in the
metadata (x2.channels, x2.depth, x2.dev_psnr_y, ...).

  /usr/bin/python3 -m ai.train.upscale.ship --x2 RUN2/upscale_x2.pt \
      --x15 RUN15/upscale_x1.5.pt --out ai/models/upscale.plmd
"""
import argparse
import hashlib
import json
import os

import torch

from ai.train.export import export, run_metadata
from ai.train.upscale.common import UpscaleNet


def load(path, scale):
    sd = torch.load(path, map_location="cpu")
    channels = sd["conv_in.weight"].shape[0]
    depth = sum(1 for k in sd if k.startswith("body.") and k.endswith(".weight"))
    net = UpscaleNet(scale, channels, depth)
    net.load_state_dict(sd)
    log = os.path.join(os.path.dirname(path), "log_%s.json" % ("x2" if scale == 2 else "x1.5"))
    rec = json.load(open(log)) if os.path.exists(log) else {}
    return net, rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--x2", required=True)
    ap.add_argument("--x15")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    tensors, meta = {}, {}
    for tag, path, scale in (("x2", a.x2, 2), ("x15", a.x15, 1.5)):
        if not path:
            continue
        net, rec = load(path, scale)
        for k, v in net.state_dict().items():
            tensors["%s.%s" % (tag, k)] = v.numpy()
        meta["%s.channels" % tag] = net.channels
        meta["%s.depth" % tag] = net.depth
        meta["%s.macs_per_pixel" % tag] = int(net.macs_per_pixel())
        meta["%s.steps" % tag] = rec.get("steps", 0)
        meta["%s.dev_psnr_y" % tag] = json.dumps(rec.get("final", {}))
        meta["%s.source" % tag] = os.path.abspath(path)
    export(a.out, "upscale", "upscale", tensors, meta=run_metadata(meta))
    digest = hashlib.sha256(open(a.out, "rb").read()).hexdigest()
    with open(a.out + ".sha256", "w") as f:
        f.write("%s  %s\n" % (digest, os.path.basename(a.out)))
    print("wrote %s (%d bytes) sha256 %s" % (a.out, os.path.getsize(a.out), digest))


if __name__ == "__main__":
    main()
