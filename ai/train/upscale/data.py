"""Training pairs for the upscaler, degraded as a call degrades video: the
wallpaper photographs (ai/data/sources.py) panned into short high-resolution
clips, scaled down (ffmpeg's bicubic, or area averaging like the sender's
libyuv box filter), then either kept clean or VP8-coded at the resolution
ladder's rates (300/500/800 kbit/s at 640x360, realtime CBR like
video/vpx) and decoded. Luma only; low-res patches with their high-res
truth are saved as .npy.

  /usr/bin/python3 -m ai.train.upscale.data --out /work/wt/sr-data [--scale 2]

Splits: the four held-out pictures (sources.IMAGES_HELDOUT) are never read
here; DEV pictures, taken from the training list, are set aside as whole
frames for choosing the model's size and epochs.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data"))
import sources as S  # noqa: E402

from ai.train.upscale.common import read_y4m  # noqa: E402

DEV = {"/usr/share/backgrounds/mate/nature/Garden.jpg",
       "/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg",
       "/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg"}
RATES = [0, 300, 500, 800]  # kbit/s; 0 = not coded
LR_W, LR_H = 640, 360
FRAMES = 12
SKIP = 2


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.decode()[-400:]))


def vp8(src, dst, kbps, tmp):
    """Encode like video/vpx (CBR, realtime, no lag, error resilient) and
    decode back to Y4M."""
    webm = os.path.join(tmp, "c.webm")
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-c:v", "libvpx",
         "-b:v", "%dk" % kbps, "-minrate", "%dk" % kbps, "-maxrate", "%dk" % kbps,
         "-bufsize", "%dk" % kbps, "-deadline", "realtime", "-cpu-used", "6",
         "-lag-in-frames", "0", "-error-resilient", "1", "-qmin", "2", "-qmax", "56",
         "-undershoot-pct", "100", "-overshoot-pct", "15", "-g", "9999", "-threads", "1",
         webm])
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", webm, "-pix_fmt", "yuv420p", dst])


def make_clip(pic, tmp, hr_w, hr_h, sw, sh, x0, y0, vx, vy, frames, down):
    """HR clip: the picture scaled to sw x sh, a hr_w x hr_h
    window moving (vx, vy) pixels a frame; LR: that scaled to 640x360."""
    hr = os.path.join(tmp, "hr.y4m")
    lr = os.path.join(tmp, "lr.y4m")
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-loop", "1", "-framerate", "30", "-i", pic,
         "-vf", "scale=%d:%d:flags=lanczos+accurate_rnd+bitexact,crop=%d:%d:%d+n*%d:%d+n*%d,"
         "format=yuv420p" % (sw, sh, hr_w, hr_h, x0, vx, y0, vy),
         "-frames:v", str(frames), "-fflags", "+bitexact", hr])
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", hr, "-vf",
         "scale=%d:%d:flags=%s+accurate_rnd+bitexact" % (LR_W, LR_H, down), lr])
    return hr, lr


def pic_size(pic):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=width,height", "-of", "csv=p=0", pic],
                       stdout=subprocess.PIPE, check=True)
    w, h = r.stdout.decode().strip().split(",")[:2]
    return int(w), int(h)


def clip_job(job):
    """One clip of one picture -> (hr [F,H,W], {rate: lr [F,h,w]})."""
    pic, scale, seed, k, frames = job
    rng = np.random.default_rng([seed, k, zlib.crc32(os.path.basename(pic).encode())])
    hr_w, hr_h = LR_W * scale, LR_H * scale
    hr_w, hr_h = int(hr_w), int(hr_h)
    w, h = pic_size(pic)
    ss = min(w, h)
    # the short side after scaling: room for the window and its pan
    lo = int(math.ceil(max((hr_w + 6 * frames) * ss / w, (hr_h + 2 * frames) * ss / h)))
    short = int(rng.integers(lo, max(lo + 1, min(ss, 1200) + 1)))
    sw = int(round(w * short / ss / 2)) * 2
    sh = int(round(h * short / ss / 2)) * 2
    vx, vy = int(rng.integers(-6, 7)), int(rng.integers(-2, 3))
    span_x = sw - hr_w - abs(vx) * frames
    span_y = sh - hr_h - abs(vy) * frames
    if span_x < 0:
        vx, span_x = 0, sw - hr_w
    if span_y < 0:
        vy, span_y = 0, sh - hr_h
    x0 = int(rng.integers(0, span_x + 1)) + (abs(vx) * frames if vx < 0 else 0)
    y0 = int(rng.integers(0, span_y + 1)) + (abs(vy) * frames if vy < 0 else 0)
    down = "bicubic" if rng.random() < 0.7 else "area"
    with tempfile.TemporaryDirectory() as tmp:
        hr, lr = make_clip(pic, tmp, hr_w, hr_h, sw, sh, x0, y0, vx, vy, frames, down)
        out = {0: read_y4m(lr)}
        for r in RATES[1:]:
            dec = os.path.join(tmp, "d%d.y4m" % r)
            vp8(lr, dec, r, tmp)
            out[r] = read_y4m(dec)
        return read_y4m(hr), out, down


def patches(hr, lrs, scale, rng, per_frame, size):
    hs = int(size * scale)
    xs, ys = [], {r: [] for r in lrs}
    for f in range(SKIP, hr.shape[0]):
        py = rng.integers(0, (LR_H - size) // 2 + 1, per_frame) * 2
        px = rng.integers(0, (LR_W - size) // 2 + 1, per_frame) * 2
        for y, x in zip(py, px):
            Y, X = int(y * scale), int(x * scale)
            xs.append(hr[f, Y:Y + hs, X:X + hs])
            for r in lrs:
                ys[r].append(lrs[r][f, y:y + size, x:x + size])
    return np.stack(xs), {r: np.stack(v) for r, v in ys.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=2)
    ap.add_argument("--clips", type=int, default=3, help="clips per training picture")
    ap.add_argument("--per-frame", type=int, default=12)
    ap.add_argument("--patch", type=int, default=48, help="low-res patch side (even)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    scale = 2 if a.scale == 2 else 1.5
    train = [p for _, p in S.IMAGES if p not in S.IMAGES_HELDOUT and p not in DEV]
    dev = sorted(DEV)
    jobs = [(p, scale, a.seed, k, FRAMES) for p in train for k in range(a.clips)]
    jobs += [(p, scale, a.seed, 100, FRAMES) for p in dev]
    tag = "x2" if scale == 2 else "x1.5"
    d = os.path.join(a.out, "upscale", tag)
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    tx, ty = [], {r: [] for r in RATES}
    dev_hr, dev_lr = [], {r: [] for r in RATES}
    downs = []
    with mp.get_context("fork").Pool(a.jobs) as pool:
        for job, (hr, lrs, down) in zip(jobs, pool.imap(clip_job, jobs)):
            downs.append([os.path.basename(job[0]), job[3], down])
            if job[0] in DEV:
                dev_hr.append(hr[SKIP::3])
                for r in RATES:
                    dev_lr[r].append(lrs[r][SKIP::3])
                continue
            x, y = patches(hr, lrs, scale, rng, a.per_frame, a.patch)
            tx.append(x)
            for r in RATES:
                ty[r].append(y[r])
            print("clip %s %d (%s): %d patches" % (os.path.basename(job[0]), job[3], down,
                                                    len(x)), flush=True)
    np.save(os.path.join(d, "train_hr.npy"), np.concatenate(tx))
    for r in RATES:
        np.save(os.path.join(d, "train_lr_%d.npy" % r), np.concatenate(ty[r]))
        np.save(os.path.join(d, "dev_lr_%d.npy" % r), np.concatenate(dev_lr[r]))
    np.save(os.path.join(d, "dev_hr.npy"), np.concatenate(dev_hr))
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"scale": scale, "rates": RATES, "train": train, "dev": dev,
                   "heldout_never_read": sorted(S.IMAGES_HELDOUT), "clips": downs,
                   "patch": a.patch, "seed": a.seed}, f, indent=1)
    print("wrote %s: %d train patches, %d dev frames" % (
        d, sum(len(x) for x in tx), sum(len(x) for x in dev_hr)))


if __name__ == "__main__":
    main()
